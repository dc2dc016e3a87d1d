/** The shape of bench/results/latest.json: every figure the report shows, and the inputs behind them. */
import type { Summary } from './stats';

export interface Machine {
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  /** `git rev-parse HEAD`, plus "-dirty" when the tree has changes; undefined outside a checkout. */
  commit?: string;
  loadAverageAtStart: number[];
}

export interface UpstreamCounts {
  /** Counted by the simulator over the measured executions. */
  requests: number;
  newConnections: number;
  requestsPerExecution: number;
  reuse: number;
}

export interface VariantResult {
  variant: string;
  label: string;
  role: string;
  warmup: number;
  executions: number;
  wallMs: Summary;
  upstream?: UpstreamCounts;
  /** The product pool's own counters, for the viralflow rows. */
  pool?: { requests: number; connections: number; reuse: number };
  baselineRssMB: number;
  peakRssMB: number;
  peakHeapUsedMB: number;
  cpuMsPerExecution: number;
  gcMsPerExecution: number;
  gcMaxPauseMs: number;
}

export interface OperatorResult {
  name: string;
  operator: string;
  workload: string;
  notes: string[];
  floor: { ms: number; formula: string; minRequests: number };
  variants: VariantResult[];
  ratios: {
    viralflowOverNaiveP50?: number;
    viralflowOverNaiveP99?: number;
    viralflowOverFloorP50?: number;
    viralflowOverFloorP99?: number;
  };
}

export interface SamplingRow {
  variant: string;
  label: string;
  work: 'thompson' | 'beta';
  wallMs: Summary;
  /** From the fastest execution: other load only ever slows a CPU-bound loop, so the best is the least disturbed. */
  drawsPerSecond: number;
  drawsPerSecondP50: number;
  peakRssMB: number;
}

export interface SamplingSizeResult {
  variants: number;
  draws: number;
  rows: SamplingRow[];
  /** Best repetition, as for the JavaScript rows; p50 beside it. */
  numpy?: {
    perDrawDrawsPerSecond: number;
    matrixDrawsPerSecond: number;
    perDrawDrawsPerSecondP50: number;
    matrixDrawsPerSecondP50: number;
    perDrawSeconds: Summary;
    matrixSeconds: Summary;
  };
}

export interface SamplingResult {
  numpyVersion?: string;
  numpyError?: string;
  sizes: SamplingSizeResult[];
}

export interface LatencyResult {
  activity: string;
  /** How the numbers were read. */
  source: string;
  executions: number;
  scheduleToCloseMs: Summary;
  /** ActivityTaskScheduled → ActivityTaskStarted: the server handing the task to a waiting poll. */
  scheduleToStartMs: Summary;
  /** ActivityTaskStarted → ActivityTaskCompleted: the worker running it and reporting back. */
  startToCloseMs: Summary;
}

/** CPU time a load took, per process (the machine has 2 cores: a sum near 2 × wall means CPU-bound). */
export interface CpuSplit {
  /** The dev server (Go, SQLite in memory); absent off Linux. */
  serverMs?: number;
  workerMs: number;
  /** The bench process: Temporal client and upstream simulator. */
  benchMs: number;
}

export interface ThroughputResult {
  what: string;
  count: number;
  seconds: number;
  perSecond: number;
  source: string;
  cpu?: CpuSplit;
}

export interface PipelineRun {
  accounts: number;
  run: number;
  /** WorkflowExecutionStarted -> WorkflowExecutionCompleted in the history. */
  historyMs: number;
  /** Client-side: start() to result(). */
  clientMs: number;
  /** Each stage's I/O floor at the simulator's latency, summed (the stages run one after another). */
  stagesFloorMs: number;
  /** Activity rounds on the critical path (the workflow's and its awaited children's histories). */
  activityRounds: number;
  /** The dev server's per-activity dispatch: a no-op activity's schedule-to-close p50, measured beside the runs. */
  dispatchMs: number;
  /** Measured: each activity and awaited child of the pipeline's own history; the rest of historyMs is hand-offs between them. */
  stages: StageSpan[];
  /** stagesFloorMs + activityRounds × dispatchMs */
  floorMs: number;
  floorFormula: string;
  scraped: number;
  posts: number;
  engineRequests: number;
  engineCacheMisses: number;
  failures: string[];
}

export interface StageSpan {
  stage: string;
  ms: number;
}

export interface WorkerMemory {
  worker: string;
  idleRssMB: number;
  idleHeapUsedMB: number;
  /** RssAnon: RSS without the file-backed pages every Node process maps (0 when not measured). */
  idleAnonMB: number;
  loadedPeakRssMB: number;
  loadedPeakHeapUsedMB: number;
  loadedPeakAnonMB: number;
  load: string;
}

export interface InterceptorRound {
  variant: 'with' | 'without';
  round: number;
  activities: number;
  perSecond: number;
  workerCpuUsPerActivity: number;
}

export interface InterceptorResult {
  rounds: InterceptorRound[];
  throughputOverheadPercent: number;
  cpuOverheadPercent: number;
  /** In-process: the interceptor's execute() around a no-op, minus a bare call. */
  microUsPerActivity: number;
  /** microUsPerActivity as a share of the worker CPU one no-op activity costs without it. */
  microOverheadPercent: number;
}

export interface TemporalResult {
  devServer: string;
  /** The dev server ran with eager activity execution (system.enableActivityEagerExecution). */
  eagerActivities?: boolean;
  /** The pipeline floor's dispatch term: no-op activities on the pipeline's worker, just before its runs. */
  dispatch?: LatencyResult;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  pipeline: PipelineRun[];
  memory: WorkerMemory[];
  interceptor?: InterceptorResult;
  incremental?: IncrementalResult;
}

/** One scrape of the incremental scenario (bench/temporal/incremental.ts). */
export interface IncrementalRun {
  label: 'first' | 'incremental' | 'full';
  historyMs: number;
  /** Social API requests (profiles and pages). */
  requests: number;
  /** Posts in the pages the simulator answered. */
  postsRead: number;
  postsStored: number;
  newPosts: number;
}

export interface IncrementalResult {
  accounts: number;
  pageSize: number;
  runs: IncrementalRun[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  held: boolean | undefined;
  why?: string;
}

export interface BenchResults {
  mode: 'quick' | 'full';
  scenarios: string[];
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  latencyMs: number;
  connections: number;
  operators: OperatorResult[];
  sampling?: SamplingResult;
  store?: StoreResult;
  rateLimit?: RateLimitBenchResult;
  temporal?: TemporalResult;
  targets: TargetCheck[];
}

/** The results store suite (bench/suites/store.ts): posts per second, and CPU per 1,000 posts on each side. */
export interface StoreRow {
  label: string;
  what: string;
  /** Fastest repetition (other load only slows it); p50 beside it. */
  postsPerSecond: number;
  postsPerSecondP50: number;
  clientCpuMsPer1kPosts: number;
  serverCpuMsPer1kPosts: number;
}

export interface StoreResult {
  accounts: number;
  postsPerAccount: number;
  pageSize: number;
  writers: number;
  reps: number;
  rows: StoreRow[];
}

/** The fleet rate limiter's own cost per request, never waiting (bench/suites/rate-limit.ts). */
export interface RateLimitBenchResult {
  requests: number;
  concurrency: number;
  rows: RateLimitBenchRow[];
  /** Why the shared (Redis) row is missing, if it is. */
  redisError?: string;
}

export interface RateLimitBenchRow {
  label: string;
  /** acquire + release, one request at a time. */
  microsecondsPerRequest: Summary;
  requestsPerSecondConcurrent: number;
}
