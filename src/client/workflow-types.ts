import type { HealthReport } from '../activities/health';
import type { BanditCarriedState, BanditWorkflowInput } from '../contracts/bandit';
import type { HealthCheckWorkflowInput } from '../contracts/health';
import type { CollectMetricsWorkflowInput } from '../contracts/metrics';
import type { ExtractPatternsWorkflowInput } from '../contracts/patterns';
import type { ViralPipelineInput } from '../contracts/pipeline';
import type { ScrapeAccountsWorkflowInput } from '../contracts/scrape';
import type { collectMetricsWorkflow } from '../workflows/collect-metrics';
import type { ExtractPatternsWorkflowResult } from '../workflows/patterns';
import type { ViralPipelineResult } from '../workflows/pipeline';
import type { ScrapeSummary } from '../workflows/scrape';
import { UnknownWorkflowError } from './errors';

/**
 * The public names of viralflow's workflows: the short name used on the command line and in
 * schedules, and the workflow type the worker registers (what `temporal workflow start --type` takes).
 */
export const WORKFLOW_TYPES = {
  pipeline: 'viralPipelineWorkflow',
  scrape: 'scrapeAccountsWorkflow',
  patterns: 'extractPatternsWorkflow',
  bandit: 'banditWorkflow',
  metrics: 'collectMetricsWorkflow',
  health: 'healthCheckWorkflow',
} as const;

export type WorkflowName = keyof typeof WORKFLOW_TYPES;
export type WorkflowType = (typeof WORKFLOW_TYPES)[WorkflowName];

/** Each workflow's one argument and its result, from the workflow modules themselves. */
export interface WorkflowSignatures {
  pipeline: { input: ViralPipelineInput; result: ViralPipelineResult };
  scrape: { input: ScrapeAccountsWorkflowInput; result: ScrapeSummary };
  patterns: { input: ExtractPatternsWorkflowInput; result: ExtractPatternsWorkflowResult };
  bandit: { input: BanditWorkflowInput; result: BanditCarriedState };
  metrics: { input: CollectMetricsWorkflowInput; result: Awaited<ReturnType<typeof collectMetricsWorkflow>> };
  health: { input: HealthCheckWorkflowInput; result: HealthReport };
}

export type WorkflowInput<N extends WorkflowName> = WorkflowSignatures[N]['input'];
export type WorkflowResult<N extends WorkflowName> = WorkflowSignatures[N]['result'];

export const WORKFLOW_NAMES = Object.keys(WORKFLOW_TYPES) as WorkflowName[];

/** Accepts a short name (`scrape`) or a full type name (`scrapeAccountsWorkflow`); anything else lists the valid names. */
export function resolveWorkflow(nameOrType: string): { name: WorkflowName; type: WorkflowType } {
  for (const name of WORKFLOW_NAMES) {
    if (name === nameOrType || WORKFLOW_TYPES[name] === nameOrType) return { name, type: WORKFLOW_TYPES[name] };
  }
  throw new UnknownWorkflowError(nameOrType, WORKFLOW_NAMES);
}

/** The short name for a workflow type, when it is one of ours (schedules and listings show it). */
export function shortNameOf(type: string): WorkflowName | undefined {
  return WORKFLOW_NAMES.find((name) => WORKFLOW_TYPES[name] === type);
}
