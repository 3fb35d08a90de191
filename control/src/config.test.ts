import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helpText, readConfig, settings } from './config.js';

describe('control plane settings', () => {
  it('has a default for everything, matching the house ports', () => {
    const config = readConfig({});
    assert.equal(config.trustDomain, 'cluster.local');
    assert.deepEqual(config.grpc, { host: '0.0.0.0', port: 15012 });
    assert.deepEqual(config.http, { host: '0.0.0.0', port: 8084 });
    assert.deepEqual(config.servingNames, ['weft-control.weft-system.svc', 'weft-control.weft-system.svc.cluster.local']);
    assert.equal(config.certTtlSeconds, 86400);
    assert.equal(config.caDir, undefined);
    assert.deepEqual(config.tokenAudiences, []);
  });

  it('reads every setting it documents', () => {
    const config = readConfig({
      WEFT_TRUST_DOMAIN: 'example.org', WEFT_NAMESPACE: 'mesh', WEFT_SERVICE_NAME: 'ctl', WEFT_CLUSTER_DOMAIN: 'k8s.local',
      WEFT_GRPC_ADDRESS: '[::1]:0', WEFT_CA_TOKEN_AUDIENCES: 'weft, other ', WEFT_CERT_TTL_SECONDS: '60', WEFT_CA_DIR: '/etc/weft-ca',
    });
    assert.equal(config.trustDomain, 'example.org');
    assert.deepEqual(config.servingNames, ['ctl.mesh.svc', 'ctl.mesh.svc.k8s.local']);
    assert.deepEqual(config.grpc, { host: '::1', port: 0 });
    assert.deepEqual(config.tokenAudiences, ['weft', 'other']);
    assert.equal(config.certTtlSeconds, 60);
    assert.equal(config.caDir, '/etc/weft-ca');
    for (const name of Object.keys(settings)) assert.match(helpText(), new RegExp(name));
  });

  it('names every bad value in one error', () => {
    assert.throws(
      () => readConfig({ WEFT_TRUST_DOMAIN: 'Not A Domain', WEFT_CERT_TTL_SECONDS: '5', WEFT_GRPC_ADDRESS: 'nowhere', WEFT_LOG_LEVEL: 'loud', WEFT_NAMESPACE: 'Bad_NS' }),
      (error: unknown) => {
        const message = (error as Error).message;
        assert.equal((error as { code?: string }).code, 'WEFT_CONTROL_BAD_CONFIG');
        for (const name of ['WEFT_TRUST_DOMAIN', 'WEFT_CERT_TTL_SECONDS', 'WEFT_GRPC_ADDRESS', 'WEFT_LOG_LEVEL', 'WEFT_NAMESPACE']) assert.match(message, new RegExp(`${name}=`));
        assert.match(message, /--help/);
        return true;
      },
    );
    assert.throws(() => readConfig({ WEFT_HTTP_ADDRESS: '127.0.0.1:70000' }), /WEFT_HTTP_ADDRESS=127.0.0.1:70000 must be host:port/);
  });
});
