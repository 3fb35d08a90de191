// Privileged tier: the data-path bench's reference relay (fixtures/tcp-relay.js) is a
// faithful two-way pipe. Its figures are printed as the floor under the agents', so it must
// carry every byte both ways, pass a half-close on, survive an unreachable target, and
// refuse bad arguments. Two namespaces joined by a veth; nothing routes out of them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { NetnsLab, ProcessOutput } from '@weft/agent/testing';

const relayPath = fileURLToPath(new URL('./fixtures/tcp-relay.js', import.meta.url));
const serverIp = '198.18.250.2';

/** A TCP server that echoes what it gets and, once the client has half-closed, sends `END\n` and closes. */
const echoServer = `
const { createServer } = require('node:net');
createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('end', () => socket.end('END\\n'));
  socket.on('error', () => socket.destroy());
}).listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`;

/** Sends N bytes of a pattern, half-closes, and prints what came back: its length, whether the echo matched, and the tail. */
const client = `
const { connect } = require('node:net');
const [host, port, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const sent = Buffer.alloc(size, 'weft-relay-');
const chunks = [];
const socket = connect({ host, port, allowHalfOpen: true }, () => socket.end(sent));
socket.on('data', (chunk) => chunks.push(chunk));
socket.on('error', (error) => console.log(JSON.stringify({ error: error.code ?? error.message })));
socket.on('close', () => {
  const got = Buffer.concat(chunks);
  console.log(JSON.stringify({ bytes: got.length, echoed: got.subarray(0, size).equals(sent), tail: got.subarray(size).toString() }));
});`;

interface ClientResult {
  bytes?: number;
  echoed?: boolean;
  tail?: string;
  error?: string;
}

describe('the bench reference relay (privileged)', () => {
  let lab: NetnsLab;
  let clientPod: string;
  let serverPod: string;
  let relay: ProcessOutput;

  const runClient = async (port: number, size: number): Promise<ClientResult> => {
    const output = new ProcessOutput(lab.spawn(clientPod, process.execPath, ['-e', client, '127.0.0.1', String(port), String(size)]));
    const line = await output.waitFor((l) => l.includes('"bytes"'), 20_000);
    await output.exit();
    return JSON.parse(line) as ClientResult;
  };

  before(async () => {
    lab = NetnsLab.create();
    clientPod = lab.addNamespace('rc');
    serverPod = lab.addNamespace('rs');
    lab.link({ netnsPath: clientPod, device: 'eth0', cidr: '198.18.250.1/24' }, { netnsPath: serverPod, device: 'eth0', cidr: `${serverIp}/24` });
    const server = new ProcessOutput(lab.spawn(serverPod, process.execPath, ['-e', echoServer, serverIp, '7000']));
    await server.waitFor((line) => line === 'listening');
    relay = new ProcessOutput(lab.spawn(clientPod, process.execPath, [relayPath, '127.0.0.1', '15001', serverIp, '7000']));
    assert.deepEqual(JSON.parse(await relay.waitFor((line) => line.startsWith('{'))), { listening: '127.0.0.1:15001' });
  });
  after(() => lab.cleanup());

  it('carries every byte both ways and passes the half-close on to the target and the answer back', async () => {
    const size = 4 * 1024 * 1024;
    assert.deepEqual(await runClient(15001, size), { bytes: size + 4, echoed: true, tail: 'END\n' });
  });

  it('closes a connection whose target refuses, and keeps serving the next ones', async () => {
    const unreachable = new ProcessOutput(lab.spawn(clientPod, process.execPath, [relayPath, '127.0.0.1', '15002', serverIp, '7001']));
    await unreachable.waitFor((line) => line.startsWith('{'));
    assert.deepEqual(await runClient(15002, 1024), { bytes: 0, echoed: false, tail: '' });
    assert.equal(unreachable.child.exitCode, null, `the relay exited: ${unreachable.stderr}`);
    assert.deepEqual(await runClient(15001, 1024), { bytes: 1028, echoed: true, tail: 'END\n' });
  });

  it('refuses bad arguments with its usage and exit 2', () => {
    for (const bad of [[], ['127.0.0.1', 'x', serverIp, '7000'], ['127.0.0.1', '15001', '', '7000']]) {
      const result = spawnSync(process.execPath, [relayPath, ...bad], { encoding: 'utf8' });
      assert.equal(result.status, 2, `${JSON.stringify(bad)}: ${result.stderr}`);
      assert.match(result.stderr, /usage: tcp-relay <host> <port> <target-host> <target-port>/);
    }
  });
});
