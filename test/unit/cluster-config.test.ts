import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { haproxyConfig } from '../../src/cluster/haproxy-config';
import {
  baseConfig,
  DB_PASSWORD_ENV,
  DEFAULT_NODE_PORTS,
  dynamicConfig,
  nodeConfig,
} from '../../src/cluster/node-config';

const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p));

describe('viralflow cluster configuration files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viralflow-cluster-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the HAProxy config is accepted by haproxy -c, with a health-checked server per node', () => {
    assert.ok(HAPROXY, 'haproxy is installed (apt-get install haproxy)');
    const text = haproxyConfig({
      listen: '127.0.0.1:17233',
      statsListen: '127.0.0.1:17299',
      backends: [
        { name: 'node-a', grpc: '127.0.10.1:7233', httpPort: 7243 },
        { name: 'node-b', grpc: '127.0.10.2:7233', httpPort: 7243 },
      ],
    });
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, text);
    const check = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(text, /^\s+mode tcp$/m);
    assert.match(text, /server node-a 127\.0\.10\.1:7233 check port 7243 inter 1000 fall 2 rise 2/);
    assert.match(text, /server node-b 127\.0\.10\.2:7233 check port 7243/);
    assert.match(text, /http-check send meth GET uri \/api\/v1\/cluster-info/);
  });

  test('base.yaml is a template the server renders: the password comes from its environment, never the file', () => {
    const text = baseConfig({
      postgresAddress: '127.0.0.1:5432',
      dbUser: 'temporal',
      rpcAddress: '127.0.0.1:7233',
      dynamicConfigFile: '/x/dynamicconfig.yaml',
    });
    const [marker, ...rest] = text.split('\n');
    assert.equal(marker, '# enable-template');
    const config = JSON.parse(rest.join('\n')) as {
      persistence: {
        numHistoryShards: number;
        datastores: Record<string, { sql: { password: string; connectAddr: string } }>;
      };
      clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
    };
    for (const store of Object.values(config.persistence.datastores)) {
      // A raw Go string: the template function reads the variable at start-up.
      assert.equal(store.sql.password, `{{ env \`${DB_PASSWORD_ENV}\` }}`);
      assert.equal(store.sql.connectAddr, '127.0.0.1:5432');
    }
    assert.equal(config.persistence.numHistoryShards, 16);
    assert.equal(config.clusterMetadata.clusterInformation.active.rpcAddress, '127.0.0.1:7233');
    assert.doesNotThrow(() => JSON.parse(dynamicConfig()));
  });

  test("a node's file binds every service on the node's own address, with distinct ports", () => {
    const config = JSON.parse(nodeConfig({ name: 'node-b', ip: '127.0.10.2', ports: DEFAULT_NODE_PORTS })) as {
      global: {
        membership: { broadcastAddress: string };
        pprof: { host: string };
        metrics: { prometheus: { listenAddress: string } };
      };
      services: Record<string, { rpc: { grpcPort: number; membershipPort: number; bindOnIP: string } }>;
    };
    assert.equal(config.global.membership.broadcastAddress, '127.0.10.2');
    assert.equal(config.global.pprof.host, '127.0.10.2');
    assert.equal(config.global.metrics.prometheus.listenAddress, '127.0.10.2:8000');
    assert.deepEqual(Object.keys(config.services).sort(), ['frontend', 'history', 'matching', 'worker']);
    const ports = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort]);
    assert.equal(new Set(ports).size, ports.length, 'no port used twice');
    for (const s of Object.values(config.services)) assert.equal(s.rpc.bindOnIP, '127.0.10.2');
  });
});
