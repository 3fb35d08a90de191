import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatByteRate, formatLatency, formatPercent, formatRate } from './format.js';

describe('formatRate', () => {
  it('keeps the digits a person compares', () => {
    assert.equal(formatRate(0), '0 req/s');
    assert.equal(formatRate(0.25), '0.25 req/s');
    assert.equal(formatRate(0.5), '0.5 req/s');
    assert.equal(formatRate(12.34), '12.3 req/s');
    assert.equal(formatRate(20), '20 req/s');
    assert.equal(formatRate(456.7), '457 req/s');
    assert.equal(formatRate(1234), '1.2k req/s');
    assert.equal(formatRate(45_000), '45k req/s');
    assert.equal(formatRate(2_500_000), '2.5M req/s');
  });

  it('takes another unit', () => {
    assert.equal(formatRate(3, 'conn/s'), '3 conn/s');
  });

  it('shows nonsense as 0 rather than NaN', () => {
    assert.equal(formatRate(Number.NaN), '0 req/s');
    assert.equal(formatRate(-1), '0 req/s');
  });
});

describe('formatPercent', () => {
  it('truncates, so nearly perfect never reads as 100%', () => {
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(0.99996), '99.99%');
    assert.equal(formatPercent(0.995), '99.50%');
    assert.equal(formatPercent(0.9899), '98.9%');
    assert.equal(formatPercent(0.5), '50.0%');
    assert.equal(formatPercent(0), '0%');
  });

  it('shows a dash without responses', () => {
    assert.equal(formatPercent(null), '–');
  });
});

describe('formatLatency', () => {
  it('scales from microseconds to seconds', () => {
    assert.equal(formatLatency(0), '0 ms');
    assert.equal(formatLatency(0.42), '0.42 ms');
    assert.equal(formatLatency(4.24), '4.2 ms');
    assert.equal(formatLatency(42.4), '42 ms');
    assert.equal(formatLatency(999.4), '999 ms');
    assert.equal(formatLatency(1234), '1.23 s');
    assert.equal(formatLatency(null), '–');
  });
});

describe('formatByteRate', () => {
  it('uses decimal units', () => {
    assert.equal(formatByteRate(512), '512 B/s');
    assert.equal(formatByteRate(1500), '1.5 kB/s');
    assert.equal(formatByteRate(12_000_000), '12 MB/s');
  });
});
