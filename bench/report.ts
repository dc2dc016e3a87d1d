/** bench/results/latest.md: the results as markdown tables, with the formulas and the caveats next to the numbers. */
import { fasterBy, int, mb, millions, ms, pct, times } from './format';
import type {
  BenchResults,
  OperatorResult,
  RateLimitBenchResult,
  SamplingResult,
  StoreResult,
  TemporalResult,
  VariantResult,
} from './results-model';

type Row = Array<string | number>;

function table(header: string[], rows: Row[]): string {
  const line = (cells: Row) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    '# viralflow benchmarks',
    '',
    `${r.mode === 'full' ? 'Full run' : '**Quick smoke run** (few executions: shapes, not figures to quote)'} of ${r.scenarios.join(', ')}; ` +
      `${r.startedAt}, ${r.durationSeconds.toFixed(0)} s.`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB; Node ${m.node}; ${m.platform}; commit ${m.commit ?? 'unknown'}; ` +
      `load average at start ${m.loadAverageAtStart.join(' / ')}.`,
    '',
    `Upstream: the simulator with a fixed L = ${r.latencyMs} ms per request on every route, seeded, no faults, in the bench's parent ` +
      `process. Product pool: C = ${r.connections} keep-alive connections per origin (its default; every simulated API is one origin). ` +
      'Every variant runs in a child process of its own (RSS, heap and CPU are that variant\'s; "base" is the child before the ' +
      "variant's code loaded). Wall times are per execution, one execution at a time, after warm-up; percentiles are nearest-rank. " +
      'Requests and new connections are counted by the simulator over the measured executions only.',
    '',
  );

  out.push(
    '## Targets',
    '',
    table(
      ['target', 'measured', 'verdict'],
      r.targets.map((t) => [t.target, t.measured + (t.why ? ` (${t.why})` : ''), verdict(t.held)]),
    ),
    '',
  );

  const ops = r.operators.filter((o) => o.variants.some((v) => v.role === 'viralflow'));
  if (ops.length) {
    out.push(
      "## Before and after (the review's table, measured side by side)",
      '',
      table(
        [
          'operator',
          'naive p50 ms',
          'viralflow p50 ms',
          'viralflow p99 ms',
          'floor ms',
          'viralflow/naive (p50)',
          'viralflow/floor (p50, p99)',
          'reuse naive → viralflow',
          'peak RSS MB naive → viralflow',
          'CPU ms/exec naive → viralflow',
        ],
        ops.map((o) => {
          const n = role(o, 'naive');
          const v = role(o, 'viralflow');
          return [
            o.name,
            ms(n?.wallMs.p50),
            ms(v?.wallMs.p50),
            ms(v?.wallMs.p99),
            ms(o.floor.ms),
            fasterBy(o.ratios.viralflowOverNaiveP50),
            `${times(o.ratios.viralflowOverFloorP50)}, ${times(o.ratios.viralflowOverFloorP99)}`,
            n?.upstream && v?.upstream ? `${pct(n.upstream.reuse)} → ${pct(v.upstream.reuse)}` : 'n/a',
            `${mb(n?.peakRssMB)} → ${mb(v?.peakRssMB)}`,
            `${ms(n?.cpuMsPerExecution)} → ${ms(v?.cpuMsPerExecution)}`,
          ];
        }),
      ),
      '',
      'Peak RSS is the whole child process, which starts at the "base" shown per variant below; the viralflow rows also load the Temporal SDK (about 48 MB of it) because the activities run in an activity Context.',
      '',
    );
  }

  for (const o of r.operators) out.push(...operatorSection(o));
  if (r.sampling) out.push(...samplingSection(r.sampling));
  if (r.store) out.push(...storeSection(r.store));
  if (r.rateLimit) out.push(...rateLimitSection(r.rateLimit));
  if (r.temporal) out.push(...temporalSection(r.temporal));
  return out.join('\n');
}

function verdict(held: boolean | undefined): string {
  return held === undefined ? 'not run' : held ? '**held**' : '**missed**';
}

function role(o: OperatorResult, name: string): VariantResult | undefined {
  return o.variants.find((v) => v.role === name);
}

function operatorSection(o: OperatorResult): string[] {
  const rows: Row[] = o.variants.map((v) => [
    v.label,
    `${v.executions} (+${v.warmup})`,
    ms(v.wallMs.p50),
    ms(v.wallMs.p95),
    ms(v.wallMs.p99),
    v.upstream ? v.upstream.requestsPerExecution.toFixed(1) : '—',
    v.upstream ? `${int(v.upstream.newConnections)} / ${int(v.upstream.requests)}` : '—',
    v.upstream ? pct(v.upstream.reuse) : '—',
    v.pool ? `${pct(v.pool.reuse)} (${int(v.pool.connections)} / ${int(v.pool.requests)})` : '—',
    `${mb(v.peakRssMB)} (${mb(v.baselineRssMB)})`,
    mb(v.peakHeapUsedMB),
    ms(v.cpuMsPerExecution, 1),
    `${ms(v.gcMsPerExecution, 1)} (${ms(v.gcMaxPauseMs, 1)})`,
  ]);
  rows.push([
    '**floor**',
    '—',
    ms(o.floor.ms),
    ms(o.floor.ms),
    ms(o.floor.ms),
    o.floor.minRequests ? String(o.floor.minRequests) : '—',
    '—',
    '—',
    '—',
    '—',
    '—',
    '—',
    '—',
  ]);
  return [
    `## ${o.name}: ${o.operator}`,
    '',
    `Workload: ${o.workload}.`,
    '',
    `Floor: ${o.floor.formula} = **${ms(o.floor.ms)} ms**.`,
    '',
    table(
      [
        'variant',
        'runs (+warm-up)',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'requests/exec',
        'new conns / requests (sim)',
        'reuse (sim)',
        'reuse (pool: new conns / requests)',
        'peak RSS MB (base)',
        'peak heap MB',
        'CPU ms/exec',
        'GC ms/exec (longest pause)',
      ],
      rows,
    ),
    '',
    `viralflow/naive: p50 ${fasterBy(o.ratios.viralflowOverNaiveP50)}, p99 ${fasterBy(o.ratios.viralflowOverNaiveP99)}. ` +
      `viralflow/floor: p50 ${times(o.ratios.viralflowOverFloorP50)}, p99 ${times(o.ratios.viralflowOverFloorP99)}.`,
    '',
    ...o.notes.map((n) => `- ${n}`),
    '',
  ];
}

function samplingSection(s: SamplingResult): string[] {
  const sizes = s.sizes;
  const variants = sizes[0]?.rows ?? [];
  const rows: Row[] = variants.map((v) => [
    v.label,
    v.work === 'thompson' ? 'Beta draws + arg-max' : 'Beta draws',
    ...sizes.map((size) => millions(size.rows.find((x) => x.variant === v.variant)?.drawsPerSecond, 2)),
  ]);
  if (sizes.some((x) => x.numpy)) {
    rows.push([
      `numpy ${s.numpyVersion ?? ''}: rng.beta(a, b) once per draw + argmax`,
      'Beta draws + arg-max',
      ...sizes.map((x) => millions(x.numpy?.perDrawDrawsPerSecond, 2)),
    ]);
    rows.push([
      `numpy ${s.numpyVersion ?? ''}: rng.beta over the whole draws × variants matrix`,
      'Beta draws',
      ...sizes.map((x) => millions(x.numpy?.matrixDrawsPerSecond, 2)),
    ]);
  }
  return [
    '## Thompson sampling throughput (million Beta draws per second, fastest execution; p50 in latest.json)',
    '',
    `Sizes: ${sizes.map((x) => `${x.variants.toLocaleString('en')} variants × ${x.draws.toLocaleString('en')} draws`).join('; ')}. ` +
      'Posteriors: Beta(successes + 1, failures + 1) with a fixed spread of 2–20% conversion (bench/sampling/posteriors.ts; the numpy script uses the same formula). ' +
      "numpy is Debian's python3-numpy on /usr/bin/python3, `np.random.default_rng(42).beta`, one process, single-threaded. " +
      'Each figure is the fastest of its executions (numpy: of its repetitions): other load on the machine only ever slows a CPU-bound loop down, so the fastest is the least disturbed, for every row alike.' +
      (s.numpyError ? ` numpy: ${s.numpyError}.` : ''),
    '',
    table(['implementation', 'work', ...sizes.map((x) => `${x.variants.toLocaleString('en')} variants`)], rows),
    '',
  ];
}

function temporalSection(t: TemporalResult): string[] {
  const eager =
    t.eagerActivities === undefined
      ? ''
      : ` Eager activity execution ${t.eagerActivities ? 'on' : 'off'} (system.enableActivityEagerExecution; viralflow's dev server turns it on).`;
  const out: string[] = [
    '## Through Temporal (dev server, real workers)',
    '',
    `Server: \`temporal server start-dev\` (in memory) from ${t.devServer}; workers are child processes built with createViralflowWorker's options plus the bench workflows and a no-op activity, ` +
      `started with the heap limits bin/viralflow.js gives them when nothing is set; the "as shipped" workers are \`bin/viralflow.js worker\` itself (measured through /proc, heap from its /metrics).${eager}`,
    '',
  ];
  if (t.latency.length) {
    out.push(
      '### Activity schedule-to-close latency',
      '',
      table(
        [
          'activity',
          'executions',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'max ms',
          'of which scheduled → started (p50 / p99)',
          'started → closed (p50 / p99)',
        ],
        t.latency.map((l) => [
          l.activity,
          l.executions,
          ms(l.scheduleToCloseMs.p50),
          ms(l.scheduleToCloseMs.p95),
          ms(l.scheduleToCloseMs.p99),
          ms(l.scheduleToCloseMs.max),
          `${ms(l.scheduleToStartMs.p50)} / ${ms(l.scheduleToStartMs.p99)}`,
          `${ms(l.startToCloseMs.p50)} / ${ms(l.startToCloseMs.p99)}`,
        ]),
      ),
      '',
      `Read from ${t.latency[0]?.source ?? 'the history'} (server clock); each activity runs alone, after the previous one closed. ` +
        "Scheduled → started is the server handing the task to the worker's waiting poll; started → closed is the worker running it and reporting back.",
      '',
    );
  }
  if (t.throughput.length) {
    out.push(
      '### Throughput at saturation, one worker',
      '',
      table(
        ['load', 'count', 'seconds', 'per second', 'measured', 'CPU ms: dev server / worker / bench'],
        t.throughput.map((x) => [
          x.what,
          int(x.count),
          x.seconds.toFixed(2),
          x.perSecond.toFixed(0),
          x.source,
          x.cpu
            ? `${x.cpu.serverMs === undefined ? 'n/a' : int(x.cpu.serverMs)} / ${int(x.cpu.workerMs)} / ${int(x.cpu.benchMs)}`
            : 'n/a',
        ]),
      ),
      '',
      'The machine has 2 cores: CPU summing to about twice the seconds means the machine, not the worker, was the limit.',
      '',
    );
  }
  if (t.pipeline.length) {
    out.push(
      '### viralPipelineWorkflow end to end',
      '',
      table(
        [
          'accounts',
          'run',
          'history ms',
          'client ms',
          'stages floor ms',
          'dispatch: rounds × ms',
          'floor ms',
          'history/floor',
          'measured stages ms (rest: hand-offs)',
          'scraped',
          'posts',
          'engine requests (cache misses)',
          'failures',
          'floor terms',
        ],
        t.pipeline.map((p) => [
          int(p.accounts),
          p.run,
          ms(p.historyMs, 0),
          ms(p.clientMs, 0),
          ms(p.stagesFloorMs, 0),
          `${p.activityRounds} × ${ms(p.dispatchMs, 1)}`,
          ms(p.floorMs, 0),
          times(p.historyMs / p.floorMs),
          p.stages?.length
            ? `${p.stages.map((x) => `${x.stage} ${ms(x.ms, 0)}`).join(' · ')} (rest ${ms(p.historyMs - p.stages.reduce((a, x) => a + x.ms, 0), 0)})`
            : 'n/a',
          int(p.scraped),
          int(p.posts),
          `${p.engineRequests} (${p.engineCacheMisses})`,
          p.failures.length ? p.failures.join('; ') : 'none',
          p.floorFormula,
        ]),
      ),
      '',
      'History ms: WorkflowExecutionStarted → WorkflowExecutionCompleted. The engine cache lives in the worker, so later runs ask the engine less. ' +
        "Floor: each stage's I/O floor at the simulator's latency, summed (the stages run one after another), plus one dispatch per activity round on the critical path " +
        '(rounds read from the histories of the pipeline and its awaited children: an activity counts as after every activity that closed before it was scheduled) × ' +
        `the dev server's per-activity dispatch, a no-op activity's schedule-to-close p50 on the same worker just before the runs` +
        (t.dispatch
          ? ` (${ms(t.dispatch.scheduleToCloseMs.p50, 1)} ms over ${t.dispatch.executions} executions; p99 ${ms(t.dispatch.scheduleToCloseMs.p99, 1)} ms).`
          : '.'),
      '',
    );
  }
  if (t.incremental) {
    const inc = t.incremental;
    const [, incremental, full] = inc.runs;
    out.push(
      `### Running forever: scrapeAccountsWorkflow over ${int(inc.accounts)} accounts, again with one new post each`,
      '',
      table(
        ['run', 'history ms', 'social requests', 'posts read', 'posts stored', 'new posts'],
        inc.runs.map((r) => [
          r.label,
          ms(r.historyMs, 0),
          int(r.requests),
          int(r.postsRead),
          int(r.postsStored),
          int(r.newPosts),
        ]),
      ),
      '',
      `First: no marks yet, everything read (and the marks set). Then every account gains one post upstream; ` +
        `"incremental" is the default mode, "full" the same accounts with \`mode: 'full'\` (pages of ${inc.pageSize}).` +
        (incremental && full
          ? ` Incremental / full: ${pct(incremental.historyMs / full.historyMs)} of the wall time, ` +
            `${pct(incremental.requests / full.requests)} of the requests, ${pct(incremental.postsRead / full.postsRead)} of the posts read, ` +
            `${pct(incremental.postsStored / full.postsStored)} of the posts stored.`
          : ''),
      '',
    );
  }
  if (t.memory.length) {
    out.push(
      '### Worker RSS',
      '',
      table(
        [
          'worker process',
          'idle RSS MB (heap used)',
          'idle anonymous MB',
          'peak RSS MB under load (peak heap used)',
          'peak anonymous MB',
          'load',
        ],
        t.memory.map((x) => [
          x.worker,
          `${mb(x.idleRssMB)} (${mb(x.idleHeapUsedMB)})`,
          x.idleAnonMB ? mb(x.idleAnonMB) : '—',
          `${mb(x.loadedPeakRssMB)} (${mb(x.loadedPeakHeapUsedMB)})`,
          x.loadedPeakAnonMB ? mb(x.loadedPeakAnonMB) : '—',
          x.load,
        ]),
      ),
      '',
      'Anonymous = RssAnon from /proc/<pid>/status: the resident memory the process alone owns. RSS adds the file-backed pages (the node binary, the Temporal SDK core library), which the kernel can drop and reload and which processes running the same files share.',
      '',
    );
  }
  if (t.interceptor) {
    const i = t.interceptor;
    out.push(
      '### Metrics interceptor overhead',
      '',
      'Two activity-only workers, identical but for the interceptor, each on its own queue, loaded alternately (A/B/A/B…) with the same no-op fan-out; one workflow-only worker serves both queues.',
      '',
      table(
        ['variant', 'round', 'activities', 'activities/s', 'worker CPU µs/activity'],
        i.rounds.map((x) => [
          x.variant === 'with' ? 'with interceptor' : 'without',
          x.round,
          x.activities,
          x.perSecond.toFixed(0),
          x.workerCpuUsPerActivity.toFixed(0),
        ]),
      ),
      '',
      `Mean throughput cost ${i.throughputOverheadPercent.toFixed(1)}%, mean worker CPU cost ${i.cpuOverheadPercent.toFixed(1)}% (end to end, noisy). ` +
        `In process: the interceptor adds ${i.microUsPerActivity.toFixed(2)} µs per activity, ${i.microOverheadPercent.toFixed(2)}% of the worker CPU a no-op activity costs without it.`,
      '',
    );
  }
  return out;
}

function storeSection(s: StoreResult): string[] {
  return [
    '## Results store (PostgreSQL beside NDJSON)',
    '',
    `${s.accounts.toLocaleString('en')} accounts × ${s.postsPerAccount} posts, pages of ${s.pageSize}; a local PostgreSQL with fsync on, ` +
      `${s.writers} pooled connections; ${s.reps} repetitions, the fastest shown with the p50. CPU is per 1,000 posts: the bench process, and ` +
      "the PostgreSQL server processes (from /proc). The raw rows are the measurement behind the store's choice of client.",
    '',
    table(
      ['what', 'rows', 'posts/s (best)', 'posts/s (p50)', 'client CPU ms / 1k posts', 'server CPU ms / 1k posts'],
      s.rows.map((r) => [
        r.label,
        r.what,
        int(r.postsPerSecond),
        int(r.postsPerSecondP50),
        r.clientCpuMsPer1kPosts.toFixed(1),
        r.serverCpuMsPer1kPosts.toFixed(1),
      ]),
    ),
    '',
  ];
}

function rateLimitSection(r: RateLimitBenchResult): string[] {
  const us = (v: number) => `${v.toFixed(1)} µs`;
  return [
    `## Fleet rate limiter overhead (acquire + release, never waiting; ${r.requests} requests)`,
    '',
    `| limiter | p50 | p99 | mean | requests/s, ${r.concurrency} at once |`,
    '|---|---|---|---|---|',
    ...r.rows.map((row) => {
      const s = row.microsecondsPerRequest;
      return `| ${row.label} | ${us(s.p50)} | ${us(s.p99)} | ${us(s.mean)} | ${Math.round(row.requestsPerSecondConcurrent)} |`;
    }),
    ...(r.redisError ? ['', `Shared row not measured: ${r.redisError}`] : []),
    '',
  ];
}
