// The kubelet's $(VAR) expansion, as the node emulator does it for env, command and args.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandVariables } from './pod-env.js';

describe('expandVariables', () => {
  const env = { NODE: 'node1', WEFT_CONTROL_SERVICE_HOST: '198.18.128.7', EMPTY: '' };

  it('replaces a defined variable, wherever it stands and however often', () => {
    assert.equal(expandVariables('$(WEFT_CONTROL_SERVICE_HOST):15012', env), '198.18.128.7:15012');
    assert.equal(expandVariables('/sys/fs/bpf/wtb/$(NODE)/$(NODE)', env), '/sys/fs/bpf/wtb/node1/node1');
    assert.equal(expandVariables('a$(EMPTY)b', env), 'ab');
  });

  it('leaves an undefined variable as written, and $$ as a literal $', () => {
    assert.equal(expandVariables('$(MISSING)/x', env), '$(MISSING)/x');
    assert.equal(expandVariables('$$(NODE)', env), '$(NODE)');
    assert.equal(expandVariables('cost: $$5 $NODE', env), 'cost: $5 $NODE');
  });

  it('does not read inherited object properties as variables', () => {
    assert.equal(expandVariables('$(constructor)', env), '$(constructor)');
  });
});
