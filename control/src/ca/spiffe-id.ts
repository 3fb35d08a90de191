import { WeftError } from '@weft/api';

// DNS-like labels: no empty label, no '..', nothing but lower-case letters, digits and '-'.
const trustDomainPattern = /^(?=.{1,255}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const namespacePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const serviceAccountPattern = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** A workload identity: spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>. */
export class SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;

  private constructor(trustDomain: string, namespace: string, serviceAccount: string) {
    this.trustDomain = trustDomain;
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
  }

  static of(parts: { trustDomain: string; namespace: string; serviceAccount: string }): SpiffeId {
    const bad = (what: string): never => {
      throw new WeftError('WEFT_CA_BAD_SPIFFE_ID', `not a Weft SPIFFE ID: ${what}`);
    };
    if (!trustDomainPattern.test(parts.trustDomain)) bad(`trust domain '${parts.trustDomain}'`);
    if (!namespacePattern.test(parts.namespace)) bad(`namespace '${parts.namespace}'`);
    if (!serviceAccountPattern.test(parts.serviceAccount)) bad(`service account '${parts.serviceAccount}'`);
    return new SpiffeId(parts.trustDomain, parts.namespace, parts.serviceAccount);
  }

  static parse(uri: string): SpiffeId {
    const match = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
    if (!match) {
      throw new WeftError('WEFT_CA_BAD_SPIFFE_ID', `'${uri}' is not spiffe://<trust domain>/ns/<namespace>/sa/<service account>`);
    }
    const [, trustDomain = '', namespace = '', serviceAccount = ''] = match;
    return SpiffeId.of({ trustDomain, namespace, serviceAccount });
  }

  equals(other: SpiffeId): boolean {
    return this.toString() === other.toString();
  }

  toString(): string {
    return `spiffe://${this.trustDomain}/ns/${this.namespace}/sa/${this.serviceAccount}`;
  }
}
