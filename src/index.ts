/**
 * viralflow's client library: start and follow workflows, record bandit outcomes, manage cron schedules,
 * from your own code. `connectViralflow()` is the entry point; the `viralflow` CLI is a thin layer over it.
 */
export { connectViralflow, type ViralflowClient } from './client/client';
export { DEFAULT_CONNECT_TIMEOUT_MS, type ConnectOptions } from './client/connect';
export {
  WORKFLOW_NAMES,
  WORKFLOW_TYPES,
  resolveWorkflow,
  type WorkflowInput,
  type WorkflowName,
  type WorkflowResult,
  type WorkflowSignatures,
  type WorkflowType,
} from './client/workflow-types';
export {
  WORKFLOW_STATUSES,
  type ListFilter,
  type StartedWorkflow,
  type StartOptions,
  type WaitOptions,
  type WaitProgress,
  type WorkflowSummary,
} from './client/workflows';
export {
  OVERLAP_POLICIES,
  type BackfillOptions,
  type CreateScheduleOptions,
  type OverlapName,
  type ScheduleInfo,
  type ScheduleRun,
  type UpdateScheduleOptions,
} from './client/schedules';
export type { BanditState, BanditStateOptions, RecordOutcomeOptions } from './client/bandit';
export {
  parseCron,
  nextFireTimes,
  type ParsedCron,
  type CalendarCron,
  type IntervalCron,
  type CronField,
} from './client/cron';
export { workflowLink, scheduleLink, DEFAULT_UI_URL } from './client/web-ui';
export {
  UsageError,
  UnknownWorkflowError,
  InvalidJsonError,
  InvalidCronError,
  InvalidDurationError,
  WorkflowAlreadyRunningError,
  NoSuchWorkflowError,
  NoSuchScheduleError,
  ScheduleExistsError,
  WorkflowRunFailedError,
  BanditUnansweredError,
} from './client/errors';
export { TemporalUnreachableError } from './temporal/connection-error';
export { ConfigError } from './config';
export type { BanditOutcome, Posterior, BanditWeights } from './workflows/bandit-api';
export type { FanOutProgress } from './workflows/progress';
export type { ViralPipelineInput, ViralPipelineResult } from './workflows/pipeline';
export type { HealthReport } from './activities/health';
export type {
  EngineExtraction,
  EngineItem,
  ExperimentWeights,
  PageContext,
  PatternEngine,
  PostsPage,
  SocialSource,
  SourceContext,
  SourceHttp,
  SourceRequest,
  Sources,
  SourcesFactory,
  SourcesFactoryOptions,
  WeightsPublisher,
} from './sources/types';
export { MAX_CURSOR_CHARS } from './sources/types';
export { defaultSources, httpPatternEngine, httpSocialSource, httpWeightsPublisher } from './sources/http-sources';
export { path } from './http/upstream';
export type { ScrapedPost, ScrapedProfile } from './sink/types';
