import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './cli.js';
import { commands } from './commands/index.js';
import { assertGolden } from './golden.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { HOME: '/nonexistent', ...env } });
  return { code, stdout, stderr };
}

describe('weft: help', () => {
  it('prints the command list for `weft`, `weft --help` and `weft help`, exit 0', async () => {
    const plain = await run([]);
    assert.equal(plain.code, 0);
    assertGolden('help.txt', plain.stdout);
    assert.equal((await run(['--help'])).stdout, plain.stdout);
    assert.equal((await run(['help'])).stdout, plain.stdout);
  });

  for (const command of commands) {
    it(`weft ${command.name} --help (and weft help ${command.name}) prints its usage, flags and examples`, async () => {
      const help = await run([command.name, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assertGolden(`help-${command.name}.txt`, help.stdout);
      assert.equal((await run(['help', command.name])).stdout, help.stdout);
      assert.equal((await run(['-n', 'demo', command.name, '-h'])).stdout, help.stdout, 'global flags before the command');
    });
  }
});

describe('weft: usage errors exit 2 and point at the help', () => {
  const cases: [string[], string, string][] = [
    [['bogus'], "unknown command 'bogus'", "'weft --help'"],
    [['--bogus'], "Unknown option '--bogus'", "'weft --help'"],
    [['help', 'bogus'], "unknown command 'bogus'", "'weft --help'"],
    [['check', 'extra'], "unexpected argument 'extra'", "'weft check --help'"],
    [['check', '--pre=yes'], "Option '--pre' does not take an argument", "'weft check --help'"],
    [['check', '-o', 'xml'], "--output must be one of table, json, yaml, not 'xml'", "'weft check --help'"],
    [['check', '--mountinfo'], "Option '--mountinfo <value>' argument missing", "'weft check --help'"],
    [['stat'], 'missing arguments', "'weft stat --help'"],
    [['stat', 'bogus'], "cannot stat 'bogus': use deploy, pod or ns", "'weft stat --help'"],
    [['stat', 'deploy', 'a', 'b'], "unexpected argument 'b'", "'weft stat --help'"],
    [['stat', 'deploy', '--window', '5'], "--window must be a whole number of seconds from 10 to 900, not '5'", "'weft stat --help'"],
    [['stat', 'deploy', '--window', '1m'], "not '1m'", "'weft stat --help'"],
    [['stat', 'pod', '-n', 'Bad_Name'], "--namespace 'Bad_Name' is not a namespace name", "'weft stat --help'"],
    [['stat', 'pod', '-n', 'demo', '-A'], '--namespace and --all-namespaces exclude each other', "'weft stat --help'"],
    [['edges', 'demo'], "unexpected argument 'demo'", "'weft edges --help'"],
    [['edges', '--window', '901'], 'not \'901\'', "'weft edges --help'"],
    [['edges', '--bogus'], "Unknown option '--bogus'", "'weft edges --help'"],
    [['dashboard', '--port', 'http'], "--port must be a port number from 0 to 65535, not 'http'", "'weft dashboard --help'"],
    [['dashboard', '--port', '70000'], "not '70000'", "'weft dashboard --help'"],
    [['enroll'], 'missing arguments', "'weft enroll --help'"],
    [['enroll', 'ns'], 'missing arguments', "'weft enroll --help'"],
    [['enroll', 'pod', 'x'], 'can only enroll namespaces: weft enroll ns NAME', "'weft enroll --help'"],
    [['enroll', 'ns', 'Bad_Name'], "'Bad_Name' is not a namespace name", "'weft enroll --help'"],
    [['enroll', 'ns', 'demo', '--timeout', 'soon'], "--timeout must be a whole number of seconds, not 'soon'", "'weft enroll --help'"],
    [['unenroll', 'ns', 'demo', 'extra'], "unexpected argument 'extra'", "'weft unenroll --help'"],
    [['version', '--client'], "Unknown option '--client'", "'weft version --help'"],
    [['version', '-o', 'wide'], "--output must be one of table, json, yaml, not 'wide'", "'weft version --help'"],
  ];
  for (const [argv, message, pointer] of cases) {
    it(`weft ${argv.join(' ')}`, async () => {
      const result = await run(argv, { KUBECONFIG: '/nonexistent/kubeconfig' });
      assert.equal(result.code, 2, `exit code of weft ${argv.join(' ')}; stderr: ${result.stderr}`);
      assert.ok(result.stderr.includes(message), `stderr says '${message}': ${result.stderr}`);
      assert.ok(result.stderr.includes(`Run ${pointer} for usage.`), `stderr points at ${pointer}: ${result.stderr}`);
      assert.equal(result.stdout, '');
    });
  }
});

describe('weft: the cluster it cannot use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing kubeconfig is an error (exit 1) that says which file and what to do', async () => {
    const result = await run(['edges', '-n', 'demo'], { KUBECONFIG: join(dir, 'none') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^weft: error: no kubeconfig at .*none \(hint: pass --kubeconfig FILE or set KUBECONFIG/);
  });

  it('an unknown --context lists the contexts there are', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, kubeconfigFor('https://127.0.0.1:1'));
    const result = await run(['stat', 'ns', '--kubeconfig', file, '--context', 'elsewhere']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /has no context 'elsewhere' \(hint: its contexts: test\)/);
  });

  it('an API server that does not answer: exit 1, with the address and a hint; check --pre skips what needs it', async () => {
    const port = await closedPort();
    const file = join(dir, 'closed');
    writeFileSync(file, kubeconfigFor(`https://127.0.0.1:${port}`));
    const edges = await run(['edges', '-A', '--kubeconfig', file]);
    assert.equal(edges.code, 1);
    assert.match(edges.stderr, new RegExp(`cannot reach the Kubernetes API at https://127.0.0.1:${port}: connect ECONNREFUSED`));
    const check = await run(['check', '--kubeconfig', file, '-o', 'json']);
    assert.equal(check.code, 1);
    const report = JSON.parse(check.stdout) as { success: boolean; checks: { id: string; status: string }[] };
    assert.equal(report.success, false);
    assert.deepEqual(report.checks.find((c) => c.id === 'kube-api')?.status, 'failed');
    assert.ok(report.checks.filter((c) => c.id !== 'kube-api').every((c) => c.status === 'skipped'), 'every check needing the API is skipped');
  });
});

function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{ name: test, cluster: { server: "' + server + '", insecure-skip-tls-verify: true } }]',
    'users: [{ name: test, user: { token: not-a-real-token } }]',
    'contexts: [{ name: test, context: { cluster: test, user: test } }]',
    'current-context: test',
    '',
  ].join('\n');
}

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}
