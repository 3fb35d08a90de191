// Test image "weft.dev/test/http-load": a steady HTTP/1.1 client. GETs each URL given as an
// argument in turn, RATE requests per second in all (default 20), each on a new
// connection — so every request shows whether capture applies at that moment — or, with
// KEEPALIVE=<n>, over n keep-alive connections; with DELAY=<seconds>, the first request
// waits that long (a connection kept for ever must open after the pod is enrolled, or it
// stays outside the mesh). Prints one JSON line per second with the totals so far:
// {"ok","failed","errors":{code:n},"status":{code:n}}.
import { Agent, request } from 'node:http';

const urls = process.argv.slice(2);
const rate = Number(process.env.RATE ?? 20);
const keepAlive = Number(process.env.KEEPALIVE ?? 0);
const delaySeconds = Number(process.env.DELAY ?? 0);
if (urls.length === 0 || !Number.isFinite(rate) || rate <= 0 || !Number.isInteger(keepAlive) || keepAlive < 0 || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
  process.stderr.write('usage: http-load <url>… (RATE=<requests per second>, KEEPALIVE=<connections>, DELAY=<seconds>)\n');
  process.exit(2);
}
const agent = keepAlive > 0 ? new Agent({ keepAlive: true, maxSockets: keepAlive }) : false;
const totals = { ok: 0, failed: 0, errors: {} as Record<string, number>, status: {} as Record<string, number> };
const count = (map: Record<string, number>, key: string): void => {
  map[key] = (map[key] ?? 0) + 1;
};

function once(url: string): void {
  const req = request(url, { agent, timeout: 3000 }, (res) => {
    res.resume();
    res.on('end', () => {
      count(totals.status, String(res.statusCode));
      if ((res.statusCode ?? 0) < 500) totals.ok++;
      else totals.failed++;
    });
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (error: NodeJS.ErrnoException) => {
    totals.failed++;
    count(totals.errors, error.code ?? 'error');
  });
  req.end();
}

let next = 0;
setTimeout(() => setInterval(() => once(urls[next++ % urls.length] ?? ''), 1000 / rate), delaySeconds * 1000);
setInterval(() => process.stdout.write(`${JSON.stringify(totals)}\n`), 1000);
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(totals)}\n`);
  process.exit(0);
});
