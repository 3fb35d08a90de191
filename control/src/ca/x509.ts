// The one door to @peculiar/x509: it needs the reflect-metadata polyfill loaded before it
// (through tsyringe) and Node's WebCrypto as its provider. Import X.509 from here only.
// (control/tsconfig.json adds the DOM lib for the WebCrypto types this API speaks.)
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

export { x509 };
export const subtle = crypto.subtle;
