import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeftError } from './weft-error.js';
import { createLogger } from './log.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error'): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    component: 'test',
    ...(level ? { level } : {}),
    now: () => new Date(0),
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { lines, logger };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, component, message and fields', () => {
    const { lines, logger } = capture();
    logger.with({ node: 'node1' }).info('issued', { identity: 'spiffe://x/ns/a/sa/b' });
    assert.deepEqual(lines, [{ time: '1970-01-01T00:00:00.000Z', level: 'info', component: 'test', msg: 'issued', node: 'node1', identity: 'spiffe://x/ns/a/sa/b' }]);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');
    logger.info('quiet');
    logger.debug('quieter');
    logger.warn('loud');
    assert.deepEqual(lines.map((l) => l.msg), ['loud']);
  });

  it('never writes a field that names a key, token, secret or password', () => {
    const { lines, logger } = capture();
    logger.info('x', { privateKey: 'PRIVATE', token: 'eyJ', clientSecret: 's', password: 'p' });
    assert.equal(JSON.stringify(lines).match(/PRIVATE|eyJ|"s"|"p"/), null);
    assert.equal(lines[0]?.token, '[redacted]');
  });

  it('writes errors as their code and message', () => {
    const { lines, logger } = capture();
    logger.error('failed', { error: new WeftError('WEFT_TEST_BROKEN', 'it broke') });
    assert.equal(lines[0]?.error, 'WEFT_TEST_BROKEN: it broke');
  });
});
