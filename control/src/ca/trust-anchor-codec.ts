import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { WeftError } from '@weft/api';
import { ecdsaP256, generateIntermediate, type KeyedCertificate, type TrustAnchor } from './trust-anchor.js';
import { subtle, x509 } from './x509.js';

/**
 * How a trust anchor is kept (in the Secret weft-system/weft-ca, or in files given at
 * install): PEM under these names. root.key is optional when the intermediate pair is given
 * (an offline root); the intermediate pair is optional when root.key is given (the control
 * plane then makes an intermediate in memory at each start).
 */
export const anchorFiles = {
  rootCertificate: 'root.crt',
  rootKey: 'root.key',
  intermediateCertificate: 'intermediate.crt',
  intermediateKey: 'intermediate.key',
} as const;

export type AnchorFileName = (typeof anchorFiles)[keyof typeof anchorFiles];
export type EncodedTrustAnchor = { [name in AnchorFileName]?: string | undefined };

/** The trust anchor given to the control plane cannot be used; nothing was changed. */
export class TrustAnchorError extends WeftError {
  constructor(source: string, problem: string) {
    super('WEFT_CA_ANCHOR_INVALID', `the trust anchor in ${source} cannot be used: ${problem}`, {
      hint: `fix or remove ${source}; Weft never overwrites a trust anchor it cannot read`,
    });
  }
}

function toPem(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/** PEM files for a trust anchor (private keys as PKCS#8: store them 0600 / in a Secret only). */
export async function encodeTrustAnchor(anchor: TrustAnchor): Promise<EncodedTrustAnchor> {
  const files: EncodedTrustAnchor = {
    [anchorFiles.rootCertificate]: anchor.root.certificate.toString('pem') + '\n',
    [anchorFiles.intermediateCertificate]: anchor.intermediate.certificate.toString('pem') + '\n',
    [anchorFiles.intermediateKey]: toPem(await subtle.exportKey('pkcs8', anchor.intermediate.keys.privateKey), 'PRIVATE KEY'),
  };
  if (anchor.root.keys) files[anchorFiles.rootKey] = toPem(await subtle.exportKey('pkcs8', anchor.root.keys.privateKey), 'PRIVATE KEY');
  return files;
}

export interface DecodeOptions {
  /** Named in errors, e.g. "Secret weft-system/weft-ca". */
  source: string;
  trustDomain: string;
  now?: Date;
}

/**
 * Reads and checks a trust anchor: every certificate parses, is a CA and is valid now; the
 * intermediate is signed by the root; each private key is P-256 and belongs to its
 * certificate. Any problem is a TrustAnchorError naming the file.
 */
export async function decodeTrustAnchor(files: EncodedTrustAnchor, options: DecodeOptions): Promise<{ anchor: TrustAnchor; generatedIntermediate: boolean }> {
  const fail = (problem: string): never => {
    throw new TrustAnchorError(options.source, problem);
  };
  const now = options.now ?? new Date();
  const rootPem = files[anchorFiles.rootCertificate] ?? fail(`${anchorFiles.rootCertificate} is missing`);
  const root = certificate(rootPem, anchorFiles.rootCertificate, fail);
  checkCa(root, anchorFiles.rootCertificate, now, fail);
  if (!(await root.verify({ publicKey: root.publicKey, signatureOnly: true }))) fail(`${anchorFiles.rootCertificate} is not self-signed`);

  const rootKeyPem = files[anchorFiles.rootKey];
  const rootKeys = rootKeyPem === undefined ? undefined : await keyPair(rootKeyPem, root, anchorFiles.rootKey, anchorFiles.rootCertificate, fail);
  const intermediatePem = files[anchorFiles.intermediateCertificate];
  const intermediateKeyPem = files[anchorFiles.intermediateKey];
  if ((intermediatePem === undefined) !== (intermediateKeyPem === undefined)) {
    fail(`give both ${anchorFiles.intermediateCertificate} and ${anchorFiles.intermediateKey}, or neither`);
  }
  if (intermediatePem === undefined || intermediateKeyPem === undefined) {
    if (!rootKeys) return fail(`without ${anchorFiles.intermediateCertificate} and ${anchorFiles.intermediateKey}, ${anchorFiles.rootKey} is needed to make an intermediate`);
    const keyedRoot: KeyedCertificate = { certificate: root, keys: rootKeys };
    return { anchor: { root: keyedRoot, intermediate: await generateIntermediate({ root: keyedRoot, trustDomain: options.trustDomain, now }) }, generatedIntermediate: true };
  }
  const intermediate = certificate(intermediatePem, anchorFiles.intermediateCertificate, fail);
  checkCa(intermediate, anchorFiles.intermediateCertificate, now, fail);
  if (intermediate.issuer !== root.subject || !(await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true }))) {
    fail(`${anchorFiles.intermediateCertificate} is not signed by ${anchorFiles.rootCertificate}`);
  }
  const intermediateKeys = await keyPair(intermediateKeyPem, intermediate, anchorFiles.intermediateKey, anchorFiles.intermediateCertificate, fail);
  return {
    anchor: { root: { certificate: root, ...(rootKeys ? { keys: rootKeys } : {}) }, intermediate: { certificate: intermediate, keys: intermediateKeys } },
    generatedIntermediate: false,
  };
}

function certificate(pem: string, name: string, fail: (problem: string) => never): x509.X509Certificate {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks !== 1) fail(`${name} must hold exactly one PEM certificate, it holds ${blocks}`);
  try {
    return new x509.X509Certificate(pem);
  } catch (error) {
    return fail(`${name} is not a readable certificate (${error instanceof Error ? error.message : String(error)})`);
  }
}

function checkCa(cert: x509.X509Certificate, name: string, now: Date, fail: (problem: string) => never): void {
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) fail(`${name} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
  if (now < cert.notBefore) fail(`${name} is not valid before ${cert.notBefore.toISOString()}`);
  if (now > cert.notAfter) fail(`${name} expired on ${cert.notAfter.toISOString()}`);
  const algorithm = cert.publicKey.algorithm as EcKeyAlgorithm;
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') fail(`${name} must have an ECDSA P-256 key`);
}

async function keyPair(pem: string, cert: x509.X509Certificate, keyName: string, certName: string, fail: (problem: string) => never): Promise<CryptoKeyPair> {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's message may quote the input: it is a private key, so it is not repeated.
    return fail(`${keyName} is not a readable PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') fail(`${keyName} must be an ECDSA P-256 key`);
  const publicDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!publicDer.equals(Buffer.from(cert.publicKey.rawData))) fail(`${keyName} does not belong to ${certName}`);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return {
    privateKey: await subtle.importKey('pkcs8', new Uint8Array(pkcs8), ecdsaP256, true, ['sign']),
    publicKey: await cert.publicKey.export(ecdsaP256, ['verify']),
  };
}
