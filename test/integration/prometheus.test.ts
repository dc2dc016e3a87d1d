/**
 * The Prometheus side of ops/: promtool validates the config, the alert rules and the worker's live
 * /metrics text; then a real Prometheus scrapes a worker on a real Temporal dev server, loads the
 * real alert rules, and answers the dashboard's own queries.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import type { HealthReport } from '../../src/activities/health';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { projectRoot } from '../../src/project-root';
import { healthCheckWorkflow } from '../../src/workflows/health-check';
import { pollUntil } from '../helpers/poll';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

const root = projectRoot(__dirname);
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
const CONFIG = join(root, 'ops/prometheus/prometheus.yml');
const ALERTS = join(root, 'ops/prometheus/alerts.yml');

function promtool(args: string[], input?: string) {
  const result = spawnSync(PROMTOOL, args, { cwd: root, input, encoding: 'utf8', timeout: 30_000 });
  if (result.error)
    throw new Error(`${PROMTOOL} ${args.join(' ')}: ${result.error.message} (apt-get install prometheus)`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const dashboard = JSON.parse(readFileSync(join(root, 'ops/grafana/dashboards/viralflow.json'), 'utf8')) as {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
};
const dashboardExprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const quantileExprs = dashboardExprs.filter(({ expr }) => expr.startsWith('histogram_quantile('));
const alertRules = (
  parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }
).groups.flatMap((g) => g.rules);

describe('Prometheus: promtool and a real server against a live worker', () => {
  let t: TemporalEnv;
  let metricsServer: MetricsServer;
  let prometheus: PrometheusServer | undefined;
  let runs = 0;

  /**
   * One run after another: each checks the five services at once, so the pool keeps the same five
   * keep-alive connections and the reuse alert has a known, healthy answer.
   */
  const runHealthChecks = async (count: number) => {
    const reports: HealthReport[] = [];
    for (let i = 0; i < count; i++) {
      reports.push(
        await t.client.workflow.execute(healthCheckWorkflow, {
          taskQueue: t.taskQueue,
          workflowId: `prom-health-${++runs}`,
          args: [{ timeoutMs: 2_000 }],
        }),
      );
    }
    return reports;
  };

  before(async () => {
    t = await startTemporalEnv({
      sim: { knobs: { 'services.health': { latencyMs: 20 } } },
      // A generous limit on one service, so the limiter's panels have series to show (it never holds a request back).
      env: { VIRALFLOW_RATE_LIMITS: 'api=1000/s' },
    });
    metricsServer = await startMetricsServer(t.metrics.registry, '127.0.0.1', 0);
    // One run before anything scrapes, so the histogram's series exist from the first scrape on.
    await runHealthChecks(1);
  });
  after(async () => {
    await prometheus?.close();
    await metricsServer?.close();
    await t?.close();
  });

  test('promtool check config accepts prometheus.yml and finds alerts.yml next to it', () => {
    const { status, output } = promtool(['check', 'config', CONFIG]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS: 1 rule files found/);
    assert.match(output, /is valid prometheus config file syntax/);
  });

  test('promtool check config accepts cluster.yml (viralflow cluster) with the same alerts.yml', () => {
    const { status, output } = promtool(['check', 'config', join(root, 'ops/prometheus/cluster.yml')]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS: 1 rule files found/);
  });

  test('promtool check rules accepts every alert rule', () => {
    const { status, output } = promtool(['check', 'rules', ALERTS]);
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${alertRules.length} rules found`));
  });

  test("promtool check metrics accepts the worker's live /metrics text", async () => {
    const res = await fetch(metricsServer.url);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^viralflow_activity_execution_seconds_count\{activity="checkHealth",outcome="success"\} 1$/m);
    const { status, output } = promtool(['check', 'metrics'], text);
    assert.equal(status, 0, `promtool check metrics reported problems:\n${output}`);
  });

  test("with the process metrics a real worker adds, promtool's only complaints are about prom-client's defaults", async () => {
    // `viralflow worker` registers prom-client's default metrics too (the test env leaves them out).
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
    const text = await Registry.merge([t.metrics.registry, defaults]).metrics();
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    const { status, output } = promtool(['check', 'metrics'], text);
    // Exit 1 would be a parse error; 3 means lint problems, listed one per line.
    assert.ok(status === 0 || status === 3, `promtool exited ${status}:\n${output}`);
    const problems = output.split('\n').filter(Boolean);
    for (const line of problems) {
      assert.match(line, /^nodejs_\w+ /, `a problem in a metric of ours, not prom-client's: ${line}`);
    }
    if (problems.length) console.log(`promtool check metrics on the full worker exposition:\n${output}`);
  });

  test("a real Prometheus scrapes the worker, answers the dashboard's queries and evaluates the alert rules", async () => {
    const base = parse(readFileSync(CONFIG, 'utf8')) as { global?: object };
    // The shipped config, with the compose targets swapped for this worker and a 1 s cadence.
    prometheus = await startPrometheus({
      ...base,
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [ALERTS],
      scrape_configs: [{ job_name: 'viralflow', static_configs: [{ targets: [new URL(metricsServer.url).host] }] }],
    });
    const p = prometheus;
    await pollUntil('the first successful scrape', async () => {
      const [up] = await p.query('up{job="viralflow"}');
      return up?.value[1] === '1' ? true : undefined;
    });

    // rate() needs the counters to move between scrapes: run more after the first one.
    const reports = await runHealthChecks(6);
    assert.ok(reports.every((r) => r.available.length === 5));

    // Each quantile panel is per activity (the health check's activity must show) or per upstream (the
    // limited service must show); either way one series per label value, no stray labels.
    const panels = quantileExprs.map(({ panel, expr }) => {
      const by = /sum by \(le, (activity|upstream)\)/.exec(expr)?.[1];
      assert.ok(by, `${panel}: ${expr} groups by activity or upstream`);
      return { panel, expr, label: by, value: by === 'activity' ? 'checkHealth' : 'api' };
    });
    for (const { panel, expr, label, value } of panels) {
      const series = await pollUntil(`${expr} to have a ${value} series`, async () => {
        const result = await p.query(expr);
        const one = result.find((s) => s.metric[label] === value);
        return one && Number.isFinite(Number(one.value[1])) ? result : undefined;
      });
      const seconds = Number(series.find((s) => s.metric[label] === value)!.value[1]);
      // Activities: 20 ms upstream latency plus their own work; the limiter: (almost) no wait. Inside [0, 1 s).
      assert.ok(
        seconds >= (label === 'activity' ? Number.MIN_VALUE : 0) && seconds < 1,
        `${panel}: ${expr} = ${seconds}`,
      );
      assert.deepEqual(Object.keys(series[0]!.metric).sort(), [label], `one series per ${label}, no stray labels`);
    }

    // Every other panel's query is valid PromQL against real data (Prometheus rejects bad syntax).
    for (const { panel, expr } of dashboardExprs) {
      await assert.doesNotReject(p.query(expr), `${panel}: ${expr}`);
    }
    const [throughput] = await p.query('sum by (activity) (rate(viralflow_activity_execution_seconds_count[5m]))');
    assert.ok(Number(throughput?.value[1]) > 0, 'throughput panel sees the runs');
    const reuse = dashboardExprs.find(({ expr }) =>
      expr.startsWith('1 - sum by (origin) (rate(viralflow_http_connections_opened_total'),
    );
    const [simOrigin] = await p.query(reuse!.expr);
    assert.equal(simOrigin?.metric.origin, t.sim.url, 'reuse per origin: the simulator');
    assert.equal(Number(simOrigin?.value[1]), 1, 'no new connection since the first scrape: every request reused one');

    // Each rule has been evaluated without error, and those with a deterministic answer here are
    // quiet (the p99 one is left out: a CPU stall on a busy CI machine may push one run past 200 ms).
    const rules = await pollUntil('every alert rule to be evaluated', async () => {
      const loaded = await p.rules();
      return loaded.length === alertRules.length && loaded.every((r) => r.health === 'ok') ? loaded : undefined;
    });
    assert.deepEqual(rules.map((r) => r.name).sort(), alertRules.map((r) => r.alert).sort());
    for (const rule of rules.filter((r) => r.name !== 'ViralflowActivityP99OverTarget')) {
      assert.equal(rule.state, 'inactive', `${rule.name}: ${JSON.stringify(rule.alerts)}`);
    }
  });

  test('the p99 alert turns pending for checkHealth once the upstream answers in 300 ms', async () => {
    const p = prometheus;
    assert.ok(p, 'the previous test started Prometheus');
    t.sim.setKnobs('services.health', { latencyMs: 300 });
    try {
      await runHealthChecks(6);
    } finally {
      t.sim.setKnobs('services.health', { latencyMs: 20 });
    }
    // `for: 10m` keeps it pending: the expression matches, and Prometheus says which activity.
    const alert = await pollUntil('ViralflowActivityP99OverTarget to be pending', async () => {
      const rule = (await p.rules()).find((r) => r.name === 'ViralflowActivityP99OverTarget');
      return rule?.state === 'pending' ? rule : undefined;
    });
    assert.deepEqual(
      alert.alerts?.map((a) => [a.labels.activity, a.state]),
      [['checkHealth', 'pending']],
    );
    const [p99] = await p.query(quantileExprs.find(({ expr }) => expr.startsWith('histogram_quantile(0.99'))!.expr);
    assert.ok(Number(p99?.value[1]) > 0.2, `dashboard p99 is over the 200 ms line: ${p99?.value[1]}`);
  });
});
