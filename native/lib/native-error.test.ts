// Unit test of the errno -> code/hint table with hand-made addon errors; the same
// mapping is exercised with real kernel failures in *.privileged.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NativeError, native } from './native-error.js';

function addonError(errnoName: string, syscall: string, errno = 1): Error {
  return Object.assign(new Error(`${syscall}: failed`), { errno, errnoName, syscall });
}

describe('NativeError', () => {
  it('gives each errno a stable code and a hint, most specific rule first', () => {
    const cases: [string, string, string][] = [
      ['EPERM', 'bpf_object__load', 'WEFT_NATIVE_PERMISSION'],
      ['ENOENT', 'open(/run/netns/x)', 'WEFT_NATIVE_NOT_FOUND'],
      ['EINVAL', 'setns(/etc/hostname)', 'WEFT_NATIVE_NOT_A_NETNS'],
      ['EINVAL', 'bpf_object__load', 'WEFT_NATIVE_KERNEL_REFUSED'],
      ['EINVAL', 'bpf_map_update_elem', 'WEFT_NATIVE_SYSTEM'],
      ['EBADF', 'bpf_map_update_elem', 'WEFT_NATIVE_BAD_FD'],
      ['EADDRINUSE', 'bind(127.0.0.1:15001)', 'WEFT_NATIVE_ADDRESS_IN_USE'],
    ];
    for (const [errnoName, syscall, code] of cases) {
      const e = new NativeError(addonError(errnoName, syscall));
      assert.equal(e.code, code, `${errnoName} in ${syscall}`);
      assert.ok(e.hint && e.hint.length > 10, 'has a hint');
      assert.ok(e.message.includes('hint:'), 'the message carries the hint');
      assert.equal(e.syscall, syscall);
    }
  });

  it('tells a verifier refusal (EACCES with a verifier log) from a permission problem', () => {
    const refused = Object.assign(addonError('EACCES', 'bpf_object__load'), { detail: '-- BEGIN PROG LOAD LOG --\ninvalid access to map value' });
    assert.equal(new NativeError(refused).code, 'WEFT_NATIVE_KERNEL_REFUSED');
    assert.equal(new NativeError(addonError('EACCES', 'bpf_object__load')).code, 'WEFT_NATIVE_PERMISSION');
  });

  it('names the missing capability for EPERM', () => {
    const e = new NativeError(addonError('EPERM', 'bpf_link_create(/sys/fs/cgroup)'));
    assert.match(e.hint ?? '', /CAP_BPF/);
  });

  it('passes argument errors through unchanged', () => {
    const typeError = new TypeError("argument 'path' must be a string");
    assert.throws(
      () =>
        native(() => {
          throw typeError;
        }),
      (e) => e === typeError,
    );
  });
});
