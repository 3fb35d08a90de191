import { createSecureContext, type SecureContext } from 'node:tls';
import type { WorkloadCertificate } from '../../identity/index.js';

/**
 * One TLS context per workload certificate (building one parses the chain and key: too
 * slow per connection). A renewed certificate is a new object, so it gets a new context;
 * old ones are collected with their certificate.
 */
export class TlsContexts {
  readonly #trustBundlePem: string;
  readonly #contexts = new WeakMap<WorkloadCertificate, SecureContext>();

  constructor(trustBundlePem: string) {
    this.#trustBundlePem = trustBundlePem;
  }

  get trustBundlePem(): string {
    return this.#trustBundlePem;
  }

  of(certificate: WorkloadCertificate): SecureContext {
    let context = this.#contexts.get(certificate);
    if (!context) {
      context = createSecureContext({
        cert: certificate.chainPem,
        key: certificate.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        ca: this.#trustBundlePem,
        minVersion: 'TLSv1.3',
      });
      this.#contexts.set(certificate, context);
    }
    return context;
  }
}
