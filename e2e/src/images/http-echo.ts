// Test image "weft.dev/test/http-echo": answers every HTTP request with who answered.
// PORT (default 8080). /fail answers 500. Prints "listening" when ready.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const port = Number(process.env.PORT ?? 8080);
const pod = process.env.POD_NAME ?? hostname();
createServer((req, res) => {
  const body = JSON.stringify({ pod, ip: process.env.POD_IP, path: req.url, from: req.socket.remoteAddress });
  res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
  res.end(`${body}\n`);
}).listen(port, () => process.stdout.write(`listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
