import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WeftError, type Logger } from '@weft/api';
import { anchorFiles, decodeTrustAnchor, encodeTrustAnchor, type EncodedTrustAnchor } from './trust-anchor-codec.js';
import { generateTrustAnchor, type TrustAnchor } from './trust-anchor.js';

/** Where a trust anchor is kept. A store that can `create` lets the CA make one on first start. */
export interface AnchorStore {
  /** For messages: "Secret weft-system/weft-ca". */
  readonly description: string;
  /** The stored files, or undefined when there is no anchor yet. */
  read(): Promise<EncodedTrustAnchor | undefined>;
  /** Stores a new anchor unless one appeared meanwhile ('exists': read that one instead). */
  create?(files: EncodedTrustAnchor): Promise<'created' | 'exists'>;
}

/** A trust anchor given at install as files (a mounted Secret); read only. */
export class AnchorDirectory implements AnchorStore {
  readonly description: string;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.description = `the folder ${dir}`;
  }

  read(): Promise<EncodedTrustAnchor> {
    if (!existsSync(this.#dir) || !statSync(this.#dir).isDirectory()) {
      return Promise.reject(new WeftError('WEFT_CA_ANCHOR_MISSING', `${this.description} does not exist`, { hint: 'mount the trust anchor Secret there, or unset WEFT_CA_DIR' }));
    }
    const files: EncodedTrustAnchor = {};
    for (const name of Object.values(anchorFiles)) {
      const path = join(this.#dir, name);
      if (existsSync(path)) files[name] = readFileSync(path, 'utf8');
    }
    return Promise.resolve(files);
  }
}

export type AnchorOrigin = 'loaded' | 'generated' | 'loaded root, new intermediate';

/**
 * The CA's trust anchor: the stored one when there is one (checked, never overwritten),
 * else — if the store allows — a new one, generated once and stored so restarts keep it.
 */
export async function loadTrustAnchor(options: { store: AnchorStore; trustDomain: string; log: Logger; now?: Date }): Promise<{ anchor: TrustAnchor; origin: AnchorOrigin }> {
  const { store, trustDomain, log } = options;
  const decode = async (files: EncodedTrustAnchor): Promise<{ anchor: TrustAnchor; origin: AnchorOrigin }> => {
    const decoded = await decodeTrustAnchor(files, { source: store.description, trustDomain, ...(options.now ? { now: options.now } : {}) });
    const origin: AnchorOrigin = decoded.generatedIntermediate ? 'loaded root, new intermediate' : 'loaded';
    log.info('trust anchor ready', { from: store.description, origin, root: decoded.anchor.root.certificate.subject, rootNotAfter: decoded.anchor.root.certificate.notAfter.toISOString() });
    return { anchor: decoded.anchor, origin };
  };
  const stored = await store.read();
  if (stored) return decode(stored);
  if (!store.create) throw new WeftError('WEFT_CA_ANCHOR_MISSING', `there is no trust anchor in ${store.description}`);
  const anchor = await generateTrustAnchor({ trustDomain, ...(options.now ? { now: options.now } : {}) });
  const created = await store.create(await encodeTrustAnchor(anchor));
  if (created === 'exists') {
    const theirs = await store.read();
    if (!theirs) throw new WeftError('WEFT_CA_ANCHOR_RACE', `${store.description} was created by someone else and then removed`, { hint: 'restart the control plane' });
    return decode(theirs);
  }
  log.info('trust anchor generated and stored', { in: store.description, root: anchor.root.certificate.subject });
  return { anchor, origin: 'generated' };
}
