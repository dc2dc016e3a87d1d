/**
 * The deployment files checked without a Docker engine: docker-compose.yml, the Dockerfile, the
 * Prometheus configuration and the Grafana provisioning and dashboard, against each other and
 * against the metrics the code really exports.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildCli } from '../../src/cli';
import { DEFAULT_NODE_PORTS } from '../../src/cluster/node-config';
import { TEMPORAL_SERVER_VERSION } from '../../src/cluster/server-binaries';
import { CLUSTER_DEFAULTS } from '../../src/cluster/defaults';
import { loadConfig } from '../../src/config';
import { projectRoot } from '../../src/project-root';
import { exposedMetricNames, metricNamesIn, TEMPORAL_SERVER_METRIC_NAMES } from '../helpers/metric-names';

const root = projectRoot(__dirname);
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  ports?: Array<string | number | { published?: string | number; target?: number; host_ip?: string }>;
  expose?: Array<string | number>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  profiles?: string[];
  secrets?: Array<string | { source: string; target?: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

const compose = parse(read('docker-compose.yml')) as ComposeFile;
const services = Object.entries(compose.services);
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a "${name}" service`);
  return found;
};
const environment = (s: ComposeService): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((kv) => kv.split(/=(.*)/s, 2) as [string, string]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** `host:container`, `ip:host:container` or the long form; undefined when only a container port is given. */
function publishedPort(spec: string | number | { published?: string | number; host_ip?: string }): string | undefined {
  if (typeof spec === 'object')
    return spec.published === undefined ? undefined : `${spec.host_ip ?? '0.0.0.0'}:${spec.published}`;
  const parts = String(spec)
    .replace(/\/(tcp|udp)$/, '')
    .split(':');
  if (parts.length === 1) return undefined;
  return parts.length === 3 ? `${parts[0]}:${parts[1]}` : `0.0.0.0:${parts[0]}`;
}

/** Host paths of bind mounts (`./x:/y[:ro]` or long form with type bind); named volumes are not files. */
function bindSources(s: ComposeService): string[] {
  return (s.volumes ?? []).flatMap((v) => {
    if (typeof v === 'object') return v.type === 'bind' && v.source ? [v.source] : [];
    const source = v.split(':')[0] ?? '';
    return /^(\.{1,2}\/|\/)/.test(source) ? [source] : [];
  });
}

/** Where a container path comes from on the host, through the service's bind mounts. */
function hostPathOf(s: ComposeService, containerPath: string): string | undefined {
  for (const v of s.volumes ?? []) {
    if (typeof v !== 'string') continue;
    const [source = '', target = ''] = v.split(':');
    if (!/^(\.{1,2}\/|\/)/.test(source)) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return resolve(root, source, posix.relative(target, containerPath));
    }
  }
  return undefined;
}

/** `${VAR:-default}` as compose reads it with VAR unset: the default. */
const withDefaults = (value: string): string => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

/** Where a service finds a secret in its container (`/run/secrets/<name>` unless a target is given), by secret name. */
function secretPaths(s: ComposeService): Record<string, string> {
  return Object.fromEntries(
    (s.secrets ?? []).map((entry) => {
      const { source, target } = typeof entry === 'string' ? { source: entry, target: undefined } : entry;
      return [source, target?.startsWith('/') ? target : `/run/secrets/${target ?? source}`];
    }),
  );
}

/** The host file behind a declared secret. */
function secretFile(name: string): string {
  const file = compose.secrets?.[name]?.file;
  assert.ok(file, `secret ${name} is declared with a file`);
  return resolve(root, withDefaults(file));
}

/** An image reference with a version tag that is not `latest`, or a digest. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([\w][\w.-]{0,127})$/.exec(image.split('/').pop() ?? '')?.[1];
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag);
}

describe('docker-compose.yml', () => {
  test('has the whole stack: PostgreSQL, Temporal on PostgreSQL, its UI, worker, simulator, Prometheus, Grafana', () => {
    const images = services.map(([, s]) => s.image ?? '');
    assert.ok(
      images.some((i) => /^postgres:/.test(i)),
      'official postgres image',
    );
    assert.ok(
      images.some((i) => /^temporalio\/(auto-setup|server):/.test(i)),
      'temporalio/auto-setup or server',
    );
    assert.ok(
      images.some((i) => /^temporalio\/ui:/.test(i)),
      'temporalio/ui',
    );
    assert.ok(
      images.some((i) => /^prom\/prometheus:/.test(i)),
      'prom/prometheus',
    );
    assert.ok(
      images.some((i) => /^grafana\/grafana(-oss)?:/.test(i)),
      'grafana/grafana',
    );

    const temporal = environment(service('temporal'));
    assert.equal(temporal.DB, 'postgres12');
    assert.equal(temporal.POSTGRES_SEEDS, 'postgresql', 'Temporal persists to the postgresql service');
    assert.ok(service('temporal').depends_on && 'postgresql' in service('temporal').depends_on!);
  });

  test('every image is pinned to a version tag or digest, or built from the Dockerfile', () => {
    for (const [name, s] of services) {
      if (s.build) {
        const build = typeof s.build === 'string' ? { context: s.build } : s.build;
        const context = resolve(root, build.context ?? '.');
        assert.ok(statSync(context).isDirectory(), `${name}: build context ${build.context} exists`);
        assert.ok(existsSync(join(context, build.dockerfile ?? 'Dockerfile')), `${name}: its Dockerfile exists`);
      } else {
        assert.ok(s.image, `${name}: has an image or a build`);
        assert.ok(isPinned(s.image), `${name}: image ${s.image} is pinned (a version tag, not latest)`);
      }
      if (s.image && !s.build) assert.doesNotMatch(s.image, /:latest$/);
    }
    // The rule's own check: an unpinned reference is rejected.
    assert.equal(isPinned('grafana/grafana'), false);
    assert.equal(isPinned('grafana/grafana:latest'), false);
    assert.equal(isPinned('localhost:5000/grafana'), false);
    assert.equal(isPinned('grafana/grafana:11.2.0'), true);
  });

  test('every bind-mounted host path exists, and named volumes are declared', () => {
    for (const [name, s] of services) {
      for (const source of bindSources(s)) {
        assert.ok(existsSync(resolve(root, source)), `${name}: ${source} exists`);
      }
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? (v.split(':')[0] ?? '') : v.type === 'volume' ? (v.source ?? '') : '';
        if (source && !/^(\.{1,2}\/|\/)/.test(source) && (typeof v === 'string' ? v.includes(':') : true)) {
          assert.ok(compose.volumes && source in compose.volumes, `${name}: named volume ${source} is declared`);
        }
      }
    }
  });

  test('published host ports are unique', () => {
    const seen = new Map<string, string>();
    for (const [name, s] of services) {
      for (const spec of s.ports ?? []) {
        const published = publishedPort(spec);
        if (!published) continue;
        const port = published.split(':').pop()!;
        const clash = [...seen].find(([p]) => p.split(':').pop() === port);
        assert.equal(clash, undefined, `${name} publishes ${published}, already published by ${clash?.[1]}`);
        seen.set(published, name);
      }
    }
    assert.ok(seen.size >= 4, 'the UI, Temporal, Prometheus and Grafana are reachable from the host');
  });

  test('depends_on names existing services, and waits for health where the target has a healthcheck', () => {
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on)
        ? Object.fromEntries(s.depends_on.map((d) => [d, {}]))
        : (s.depends_on ?? {});
      for (const [target, options] of Object.entries(deps) as Array<[string, { condition?: string }]>) {
        assert.ok(target in compose.services, `${name} depends on ${target}, which exists`);
        if (options.condition === 'service_healthy') {
          const t = compose.services[target]!;
          const hasOwnCheck = Boolean(t.healthcheck?.test);
          const inheritsImageCheck = Boolean(t.build) || t.image === service('worker').image;
          assert.ok(
            hasOwnCheck || inheritsImageCheck,
            `${name} waits for ${target} to be healthy, so ${target} needs a healthcheck`,
          );
        }
      }
    }
  });

  test('the worker is configured for containers, and loadConfig accepts its environment', () => {
    const worker = service('worker');
    const env = environment(worker);
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(env.METRICS_HOST, '0.0.0.0', 'Prometheus scrapes it from another container');
    assert.equal(env.VIRALFLOW_UPSTREAM_URL, 'http://simulator:8787');
    // The password file is where compose mounts the secret; read from the secret's host file here.
    const containerPaths = Object.fromEntries(
      Object.entries(secretPaths(worker)).map(([name, path]) => [path, secretFile(name)]),
    );
    const passwordFile = env.VIRALFLOW_DATABASE_PASSWORD_FILE;
    assert.ok(
      passwordFile && containerPaths[passwordFile],
      `VIRALFLOW_DATABASE_PASSWORD_FILE (${passwordFile}) is a secret of the worker`,
    );
    const config = loadConfig({ ...env, VIRALFLOW_DATABASE_PASSWORD_FILE: containerPaths[passwordFile]! });
    assert.equal(config.metrics.host, '0.0.0.0');
    assert.equal(config.temporal.address, 'temporal:7233');
    assert.equal(config.services.api?.baseUrl, 'http://simulator:8787/services/api');
    const database = new URL(config.database!.url);
    assert.equal(
      database.password,
      encodeURIComponent(readFileSync(containerPaths[passwordFile]!, 'utf8').trim()),
      'the password comes from the secret',
    );
  });

  test('every worker replica shares one results store: a viralflow database and role in the compose PostgreSQL', () => {
    const worker = service('worker');
    const env = environment(worker);
    const url = new URL(env.VIRALFLOW_DATABASE_URL ?? '');
    assert.equal(url.protocol, 'postgres:');
    assert.equal(url.hostname, 'postgresql', 'the postgresql service');
    assert.ok(url.hostname in compose.services);
    assert.equal(url.password, '', 'no password in the compose file: it is a secret');
    assert.ok(
      !/VIRALFLOW_DATABASE_URL=\S*:[^@\s]+@/.test(read('docker-compose.yml')),
      'no URL with a password anywhere',
    );
    assert.equal(
      environment(service('postgresql')).POSTGRES_USER === url.username,
      false,
      "the results store has a role of its own, not Temporal's",
    );
    const deps = worker.depends_on as Record<string, { condition?: string }>;
    assert.equal(
      deps.postgresql?.condition,
      'service_healthy',
      'the worker waits for PostgreSQL (it migrates at start-up)',
    );
    // Replicas keep nothing local that another needs: no data volume is shared, the store is.
    assert.ok(!(worker.volumes ?? []).length, 'the worker mounts no data folder');

    // The init script the postgresql service runs on a fresh volume creates that role and database,
    // with the password from the same secret the worker reads.
    const postgres = service('postgresql');
    const initDir = hostPathOf(postgres, '/docker-entrypoint-initdb.d');
    assert.equal(initDir, join(root, 'ops/postgres/init'));
    const scripts = readdirSync(initDir).filter((f) => f.endsWith('.sh'));
    assert.equal(scripts.length, 1);
    const scriptPath = join(initDir, scripts[0]!);
    assert.ok(
      (statSync(scriptPath).mode & 0o111) !== 0,
      'executable: the image runs it rather than sourcing it into its entrypoint',
    );
    const script = readFileSync(scriptPath, 'utf8');
    assert.match(script, new RegExp(`role="\\$\\{VIRALFLOW_DB_ROLE:-${url.username}\\}"`));
    assert.match(script, new RegExp(`database="\\$\\{VIRALFLOW_DB_NAME:-${url.pathname.slice(1)}\\}"`));
    const scriptSecret = /password_file="\$\{VIRALFLOW_DB_PASSWORD_FILE:-([^}]+)\}"/.exec(script)?.[1];
    const postgresSecrets = secretPaths(postgres);
    const workerSecret = Object.entries(secretPaths(worker)).find(
      ([, path]) => path === env.VIRALFLOW_DATABASE_PASSWORD_FILE,
    )?.[0];
    assert.ok(workerSecret);
    assert.equal(postgresSecrets[workerSecret], scriptSecret, 'the script reads the secret the worker reads');
    assert.ok(existsSync(secretFile(workerSecret)), 'the default secret file exists');
  });

  test('the simulator runs from the same image, on all interfaces, in the demo profile', () => {
    const sim = service('simulator');
    assert.deepEqual(sim.profiles, ['demo']);
    assert.ok(Array.isArray(sim.command));
    assert.deepEqual(sim.command.slice(0, 3), ['node', 'bin/viralflow.js', 'sim']);
    const args = sim.command.slice(3);
    assert.equal(args[args.indexOf('--host') + 1], '0.0.0.0');
    assert.equal(args[args.indexOf('--port') + 1], '8787');
    assert.equal(sim.image ?? 'built', service('worker').image ?? 'built');
  });

  test("the CLI has every option the compose commands pass (the simulator's --host, --port)", () => {
    const cli = buildCli();
    for (const [name, s] of services) {
      const argv = Array.isArray(s.command) ? s.command : [];
      if (argv[1] !== 'bin/viralflow.js') continue;
      const command = cli.commands.find((c) => c.name() === argv[2]);
      assert.ok(command, `${name}: viralflow has a "${argv[2]}" command`);
      const known = command.options.map((o) => o.long);
      for (const flag of argv.slice(3).filter((a) => a.startsWith('--'))) {
        assert.ok(
          known.includes(flag),
          `${name}: \`viralflow ${argv[2]}\` has no ${flag} option (it has ${known.join(', ')})`,
        );
      }
    }
    assert.ok(
      cli.commands.some((c) => c.name() === 'worker'),
      "the image's CMD runs `viralflow worker`",
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Like Docker: comment lines go first (even inside a continuation), then continuations are joined.
  const instructions = dockerfile
    .split(/\r?\n/)
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const args: Record<string, string> = Object.fromEntries(
    instructions.flatMap((l) => {
      const arg = /^ARG\s+(\w+)=(\S+)/.exec(l);
      return arg ? [[arg[1]!, arg[2]!]] : [];
    }),
  );

  test('is multi-stage from a pinned Node 24 image: npm ci + build, then npm ci --omit=dev', () => {
    const froms = instructions.filter((l) => /^FROM\s/i.test(l));
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
    for (const from of froms) {
      const image = from.split(/\s+/)[1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? name);
      assert.match(image, /^node:24\.\d+\.\d+-[\w-]+$/, `${from}: a full Node 24 version tag`);
    }
    assert.ok(
      instructions.some((l) => /^RUN .*npm ci(?!.*--omit=dev)/.test(l)),
      'build stage: npm ci',
    );
    assert.ok(
      instructions.some((l) => /^RUN .*npm run build/.test(l)),
      'build stage: npm run build',
    );
    assert.ok(
      instructions.some((l) => /^RUN .*npm ci .*--omit=dev/.test(l)),
      'runtime stage: npm ci --omit=dev',
    );
    assert.ok(
      instructions.some((l) => /^COPY --from=\w+ .*dist/.test(l)),
      'runtime stage: dist/ from the build stage',
    );
  });

  test('runs as a non-root user, with a HEALTHCHECK on /healthz at METRICS_PORT and the worker as CMD', () => {
    const users = instructions.filter((l) => /^USER\s/.test(l));
    const user = users.at(-1)?.split(/\s+/)[1];
    assert.ok(user, 'a USER instruction');
    assert.notEqual(user, 'root');
    assert.notEqual(user?.split(':')[0], '0');
    const healthcheck = instructions.find((l) => /^HEALTHCHECK\s/.test(l));
    assert.ok(healthcheck, 'a HEALTHCHECK');
    assert.match(healthcheck, /\/healthz/);
    assert.match(healthcheck, /METRICS_PORT/);
    assert.ok(
      instructions.some((l) => /^ENV\s.*METRICS_HOST=0\.0\.0\.0/.test(l)),
      'metrics bind all interfaces',
    );
    // Run as a program, so its sh part sizes the heap from the container's limit before node starts.
    assert.equal(instructions.filter((l) => /^CMD\s/.test(l)).at(-1), 'CMD ["bin/viralflow.js", "worker"]');
    assert.ok(statSync(join(root, 'bin', 'viralflow.js')).mode & 0o111, 'bin/viralflow.js is executable');
    assert.match(read('bin/viralflow.js'), /^#!\/bin\/sh\n/, 'bin/viralflow.js starts as a POSIX sh script');
  });

  test('.dockerignore keeps local dependencies and state out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.data', '.tools']) assert.ok(ignored.includes(entry), entry);
  });
});

describe('Prometheus configuration', () => {
  const prometheus = parse(read('ops/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      static_configs?: Array<{ targets: string[] }>;
      dns_sd_configs?: Array<{ names: string[]; port: number }>;
    }>;
  };
  const targets = (job: string) => {
    const config = prometheus.scrape_configs.find((c) => c.job_name === job);
    assert.ok(config, `scrape job ${job}`);
    return [
      ...(config.static_configs ?? []).flatMap((s) => s.targets),
      ...(config.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
    ];
  };

  test("scrapes the worker's two endpoints and Temporal's, by compose service name", () => {
    const worker = service('worker');
    const env = environment(worker);
    assert.deepEqual(targets('viralflow'), [`worker:${env.METRICS_PORT}`]);
    assert.deepEqual(targets('viralflow-sdk'), [`worker:${env.TEMPORAL_METRICS_PORT}`]);
    const temporalMetrics = environment(service('temporal')).PROMETHEUS_ENDPOINT?.split(':').pop();
    assert.deepEqual(targets('temporal'), [`temporal:${temporalMetrics}`]);
  });

  test('loads alerts.yml, mounted next to it in the container', () => {
    assert.deepEqual(prometheus.rule_files, ['alerts.yml']);
    const container = service('prometheus');
    const configFlag = (container.command as string[]).find((c) => c.startsWith('--config.file='))!.split('=')[1]!;
    const hostConfig = hostPathOf(container, configFlag);
    assert.equal(hostConfig, join(root, 'ops/prometheus/prometheus.yml'));
    assert.ok(existsSync(hostPathOf(container, posix.join(posix.dirname(configFlag), 'alerts.yml'))!));
  });

  test('every alert selects metrics the code exports (or up), with the 200 ms p99 and 0.9 reuse targets', () => {
    const known = exposedMetricNames();
    const rules = (
      parse(read('ops/prometheus/alerts.yml')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
    ).groups.flatMap((g) => g.rules);
    for (const rule of rules) {
      const names = metricNamesIn(rule.expr);
      assert.ok(names.length > 0, `${rule.alert} selects a metric`);
      for (const name of names) {
        assert.ok(
          known.has(name) || name === 'up' || TEMPORAL_SERVER_METRIC_NAMES.has(name),
          `${rule.alert}: ${name} is exported`,
        );
      }
    }
    const expr = (name: string) => rules.find((r) => r.alert === name)?.expr.replace(/\s+/g, ' ') ?? '';
    assert.match(
      expr('ViralflowActivityP99OverTarget'),
      /^histogram_quantile\(0\.99, sum by \(le, activity\) \(rate\(viralflow_activity_execution_seconds_bucket\[5m\]\)\)\) > 0\.2$/,
    );
    assert.match(expr('ViralflowConnectionReuseLow'), /< 0\.9/);
    assert.match(expr('ViralflowCircuitOpen'), /viralflow_circuit_state\) == 2/);
    assert.match(expr('ViralflowWorkerDown'), /^up\{job="viralflow"\} == 0$/);
    assert.match(expr('ViralflowActivityFailureRateHigh'), /outcome="failure"/);
  });
});

describe('Prometheus configuration for `viralflow cluster` (ops/prometheus/cluster.yml)', () => {
  const config = parse(read('ops/prometheus/cluster.yml')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  const targets = (job: string) =>
    config.scrape_configs.find((c) => c.job_name === job)?.static_configs.flatMap((s) => s.targets);

  test("scrapes every default node's own metrics and HAProxy at the addresses the cluster uses", () => {
    const nodes = Array.from(
      { length: CLUSTER_DEFAULTS.nodes },
      (_, i) => `${CLUSTER_DEFAULTS.nodeSubnet}.${i + 1}:${DEFAULT_NODE_PORTS.metrics}`,
    );
    assert.deepEqual(targets('temporal'), nodes);
    assert.deepEqual(targets('haproxy'), [CLUSTER_DEFAULTS.statsListen]);
    const defaults = loadConfig({});
    assert.deepEqual(targets('viralflow'), [`127.0.0.1:${defaults.metrics.port}`]);
    assert.deepEqual(targets('viralflow-sdk'), [`127.0.0.1:${defaults.temporalMetricsPort}`]);
  });

  test('shares alerts.yml and its job names with the compose configuration', () => {
    assert.deepEqual(config.rule_files, ['alerts.yml']);
    for (const job of ['viralflow', 'viralflow-sdk', 'temporal']) assert.ok(targets(job)?.length, job);
  });

  test('the compose file runs the server version the cluster builds and test:cluster runs', () => {
    assert.equal(service('temporal').image, `temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
  });
});

describe('Grafana provisioning and dashboard', () => {
  const grafana = service('grafana');
  const datasources = (
    parse(read('ops/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    }
  ).datasources;
  const providers = (
    parse(read('ops/grafana/provisioning/dashboards/dashboards.yml')) as {
      providers: Array<{ options: { path: string } }>;
    }
  ).providers;
  const dashboard = JSON.parse(read('ops/grafana/dashboards/viralflow.json')) as {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Array<{
      id: number;
      title: string;
      type: string;
      datasource?: { uid: string };
      gridPos: { x: number; y: number; w: number; h: number };
      targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
    }>;
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  test('Grafana mounts the provisioning folder, and the datasource points at the prometheus service', () => {
    assert.equal(hostPathOf(grafana, '/etc/grafana/provisioning'), join(root, 'ops/grafana/provisioning'));
    const [prometheus] = datasources;
    assert.equal(datasources.length, 1);
    assert.equal(prometheus?.type, 'prometheus');
    const url = new URL(prometheus!.url);
    assert.ok(url.hostname in compose.services, `${url.hostname} is a compose service`);
    assert.ok((service(url.hostname).ports ?? []).some((p) => String(p).endsWith(`:${url.port}`)));
  });

  test('the dashboard provider reads the folder that holds viralflow.json', () => {
    assert.equal(providers.length, 1);
    const hostDir = hostPathOf(grafana, providers[0]!.options.path);
    assert.ok(
      hostDir && existsSync(join(hostDir, 'viralflow.json')),
      `${providers[0]!.options.path} maps to ops/grafana/dashboards`,
    );
  });

  test('is valid dashboard JSON whose every panel uses the provisioned datasource', () => {
    assert.equal(typeof dashboard.schemaVersion, 'number');
    assert.ok(dashboard.schemaVersion >= 36, 'a schema with datasource references by uid');
    assert.equal(dashboard.uid, 'viralflow');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const uid = datasources[0]!.uid;
    for (const panel of dashboard.panels) {
      assert.equal(panel.datasource?.uid, uid, `${panel.title}: datasource`);
      assert.ok(panel.targets?.length, `${panel.title}: has queries`);
      for (const t of panel.targets) assert.equal(t.datasource?.uid ?? uid, uid);
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the 24-column grid`);
    }
  });

  test('every panel query selects only metrics that src/metrics/registry.ts defines', () => {
    const known = exposedMetricNames();
    assert.ok(known.has('viralflow_activity_execution_seconds_bucket'), 'histogram series names are derived');
    for (const { panel, expr } of exprs) {
      const names = metricNamesIn(expr);
      assert.ok(names.length > 0, `${panel}: ${expr} selects a metric`);
      for (const name of names) assert.ok(known.has(name), `${panel}: ${name} is not a metric the worker exports`);
    }
  });

  test('shows p50/p95/p99 per activity, throughput and failures, reuse, open circuits, cache hit rate and RSS', () => {
    for (const q of ['0.5', '0.95', '0.99']) {
      assert.ok(
        exprs.some(
          ({ expr }) =>
            expr ===
            `histogram_quantile(${q}, sum by (le, activity) (rate(viralflow_activity_execution_seconds_bucket[5m])))`,
        ),
        `p${Number(q) * 100} per activity`,
      );
    }
    const has = (pattern: RegExp, what: string) =>
      assert.ok(
        exprs.some(({ expr }) => pattern.test(expr)),
        what,
      );
    has(/sum by \(activity\) \(rate\(viralflow_activity_execution_seconds_count\[5m\]\)\)/, 'throughput per activity');
    has(/viralflow_activity_execution_seconds_count\{outcome="failure"\}/, 'failures per activity');
    has(/by \(origin\).*viralflow_http_connection/, 'reuse per origin');
    has(/viralflow_circuit_state\) == 2/, 'open circuits');
    has(/viralflow_cache_requests_total\{result="hit"\}/, 'cache hit rate');
    has(/^process_resident_memory_bytes/, 'worker RSS');
  });

  test('the PromQL name extraction used above tells metrics from functions and labels', () => {
    assert.deepEqual(
      metricNamesIn(
        'sum by (le, activity) (rate(viralflow_activity_execution_seconds_bucket{outcome="failure"}[5m])) / on (x) foo or vector(0)',
      ),
      ['viralflow_activity_execution_seconds_bucket', 'foo'],
    );
  });
});
