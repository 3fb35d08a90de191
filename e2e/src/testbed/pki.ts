import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './shell.js';
import { paths, testbed } from './testbed-config.js';

/** A client identity of the testbed: file paths of its certificate and key. */
export interface Identity {
  cert: string;
  key: string;
}

export interface TestbedPki {
  caCert: string;
  caKey: string;
  apiserver: Identity;
  admin: Identity;
  controllerManager: Identity;
  scheduler: Identity;
  kubeProxy: Identity;
  /** The key pair the API server signs ServiceAccount tokens with. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** Where each PKI file lives: the one home of these names (generatePki writes them). */
export function pkiPaths(): TestbedPki {
  const f = (name: string): string => join(paths.pki, name);
  const id = (name: string): Identity => ({ cert: f(`${name}.crt`), key: f(`${name}.key`) });
  return {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    apiserver: id('apiserver'),
    admin: id('admin'),
    controllerManager: id('controller-manager'),
    scheduler: id('scheduler'),
    kubeProxy: id('kube-proxy'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
}

function ecKey(path: string): void {
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  chmodSync(path, 0o600);
}

function issue(dir: string, identity: Identity, subject: string, extensions: string[]): Identity {
  const { key, cert } = identity;
  const ext = `${cert}.ext`;
  ecKey(key);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  const csr = run('openssl', ['req', '-new', '-key', key, '-subj', subject]);
  run('openssl', ['x509', '-req', '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '30', '-sha256', '-extfile', ext, '-out', cert], {
    input: csr,
  });
  return { cert, key };
}

const clientExtensions = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];

/** Generates the testbed's CA, serving and client certificates (EC P-256), once per `up`. */
export function generatePki(): TestbedPki {
  const dir = paths.pki;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = pkiPaths();
  const { caKey, caCert } = at;
  {
    // Always a new CA: never trust key material found on disk.
    ecKey(caKey);
    run('openssl', [
      'req', '-x509', '-new', '-key', caKey, '-subj', '/CN=weft-testbed-ca', '-days', '30', '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert,
    ]);
  }
  const domain = testbed.clusterDomain;
  const apiserver = issue(dir, at.apiserver, '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:${testbed.controlPlaneAddress},IP:${testbed.kubernetesServiceIp},IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${domain}`,
  ]);
  const { serviceAccountKey, serviceAccountPub } = at;
  ecKey(serviceAccountKey);
  writeFileSync(serviceAccountPub, run('openssl', ['pkey', '-in', serviceAccountKey, '-pubout']));
  return {
    caCert,
    caKey,
    apiserver,
    admin: issue(dir, at.admin, '/O=system:masters/CN=weft-testbed-admin', clientExtensions),
    controllerManager: issue(dir, at.controllerManager, '/CN=system:kube-controller-manager', clientExtensions),
    scheduler: issue(dir, at.scheduler, '/CN=system:kube-scheduler', clientExtensions),
    kubeProxy: issue(dir, at.kubeProxy, '/CN=system:kube-proxy', clientExtensions),
    serviceAccountKey,
    serviceAccountPub,
  };
}

/** A kubeconfig for one identity, with the certificates embedded (so it can be copied). */
export function writeKubeconfig(path: string, pki: TestbedPki, identity: Identity, user: string): void {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const server = `https://${testbed.controlPlaneAddress}:${testbed.apiserverPort}`;
  const text = `apiVersion: v1
kind: Config
clusters:
- name: weft-testbed
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.caCert)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(identity.cert)}
    client-key-data: ${b64(identity.key)}
contexts:
- name: weft-testbed
  context:
    cluster: weft-testbed
    user: ${user}
current-context: weft-testbed
`;
  writeFileSync(path, text, { mode: 0o600 });
}
