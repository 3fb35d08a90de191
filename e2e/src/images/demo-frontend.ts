// Demo image "weft.dev/demo/frontend": an HTTP server on PORT (default 8080) that, for each
// request, asks the catalog over gRPC (CATALOG: host:port) and the cart over HTTP (CART:
// a URL), and answers 200 with both replies, or 502 naming what failed. Prints "listening"
// when ready.
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { createServer, request } from 'node:http';
import { hostname } from 'node:os';
import { catalogService, type LookupReply } from './demo-wire.js';

const port = Number(process.env.PORT ?? 8080);
const pod = process.env.POD_NAME ?? hostname();
const catalogAddress = process.env.CATALOG ?? '';
const cartUrl = process.env.CART ?? '';
if (!catalogAddress || !cartUrl) {
  process.stderr.write('usage: CATALOG=<host:port> CART=<url> demo-frontend\n');
  process.exit(2);
}

const Catalog = makeGenericClientConstructor(catalogService, 'Catalog');
const catalog = new Catalog(catalogAddress, credentials.createInsecure());
const items = ['socks', 'kettle', 'lamp', 'mug', 'scarf'];

function lookup(item: string): Promise<LookupReply> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 2000);
    (catalog as unknown as { lookup: (req: unknown, options: { deadline: Date }, done: (error: ServiceError | null, reply: LookupReply) => void) => void }).lookup({ item }, { deadline }, (error, reply) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

/** A new connection per request, like the load client: each shows whether it is captured. */
function cart(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(cartUrl, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => ((res.statusCode ?? 0) < 500 ? resolve(body.trim()) : reject(new Error(`cart answered ${res.statusCode ?? 0}`))));
    });
    req.on('timeout', () => req.destroy(new Error('cart timed out')));
    req.on('error', reject);
    req.end();
  });
}

let served = 0;
createServer((req, res) => {
  const item = items[served++ % items.length] ?? 'socks';
  Promise.all([lookup(item), cart()]).then(
    ([product, basket]) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ pod, path: req.url, product, cart: JSON.parse(basket) as unknown })}\n`);
    },
    (error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`frontend ${pod}: ${error instanceof Error ? error.message : String(error)}\n`);
    },
  );
}).listen(port, () => process.stdout.write(`listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
