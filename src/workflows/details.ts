import type { HealthReport } from '../activities/health';
import type { CollectMetricsResult } from '../activities/metrics-collector';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import type { FanOutProgress } from './progress';
import type { Observed } from './scrape';
import type { EvidenceChange } from '../store/evidence';

/**
 * The current details of long runs, as the Web UI shows them (markdown, from the
 * `__temporal_workflow_metadata` query): a few short lines of counts that change as the run goes.
 * "n of m", not "n/m", which the UI's markdown typesets as a fraction; a list needs the blank line before it.
 * Held in workflow memory, not history; like summaries they name counts and IDs, never URLs or secrets.
 */

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A scrape's batches and accounts done, what became of the accounts, and the posts stored so far. */
export function scrapeDetails(p: FanOutProgress): string {
  const heading = p.stage === 'done' ? '**Scrape done**' : '**Scraping**';
  if (p.batchesTotal === 0 && p.stage !== 'done') return `${heading}: loading the accounts`;
  return [
    `${heading}: ${p.batchesDone} of ${p.batchesTotal} batches, ${p.accountsDone} of ${p.accountsTotal} accounts`,
    '',
    `- ${p.scraped} scraped, ${p.failed} failed`,
    `- ${plural(p.posts, 'post')} stored${p.stage === 'done' ? '' : ' so far'}`,
  ].join('\n');
}

/** What a pipeline's finished stages said, one line each. */
export const stageLines = {
  health: (h: Pick<HealthReport, 'available' | 'unavailable'>) =>
    `health: ${h.available.length} of ${h.available.length + h.unavailable.length} services up` +
    (h.unavailable.length ? ` (down: ${h.unavailable.join(', ')})` : ''),
  scrape: (s: {
    accounts: number;
    scraped: number;
    failedTotal: number;
    posts: number;
    batches: number;
    observed?: Observed;
  }) =>
    `scrape: ${s.scraped} of ${s.accounts} accounts scraped, ${plural(s.posts, 'post')}, ${plural(s.batches, 'batch', 'batches')}` +
    (s.failedTotal ? `, ${s.failedTotal} failed` : '') +
    observedNote(s),
  patterns: (p: Pick<PatternsSummary, 'posts' | 'outcomes'>) =>
    `patterns: ${plural(Object.keys(p.outcomes).length, 'pattern')} over ${plural(p.posts, 'post')}`,
  bandit: (b: { outcomesSent: number; workflowId: string; evidence?: EvidenceChange }) =>
    b.evidence
      ? `bandit: evidence for ${b.workflowId}: ${plural(b.evidence.added, 'outcome')} added, ${b.evidence.moved} moved, ${b.evidence.unchanged} already counted`
      : `bandit: ${plural(b.outcomesSent, 'outcome')} sent to ${b.workflowId}`,
  metrics: (m: Pick<CollectMetricsResult, 'services' | 'failures'>) =>
    `metrics: ${plural(m.services.length, 'service')} collected` +
    (m.failures.length ? `, ${plural(m.failures.length, 'failure')}` : ''),
};

/** Reasons are cut to this in details (the result keeps them whole). */
const MAX_REASON = 80;

export interface PipelineDetails {
  /** The stages in order. */
  stages: readonly string[];
  progress: FanOutProgress;
  /** What each finished stage did (`stageLines`, or why it failed or was skipped). */
  finished: Partial<Record<string, string>>;
  /** The scrape child's ID, whose own details show its batches while it runs. */
  scrapeChildId: string;
}

/** The pipeline's current stage ("n of total") and what each finished stage did. */
export function pipelineDetails(d: PipelineDetails): string {
  const { stage } = d.progress;
  const position = d.stages.indexOf(stage);
  let heading: string;
  if (stage === 'done') heading = '**Pipeline done**';
  else {
    heading = `**Stage ${position + 1} of ${d.stages.length}: ${stage}**`;
    if (stage === 'scrape') heading += `: batches and accounts in \`${d.scrapeChildId}\``;
  }
  // The UI shows details in a box five lines high (100 px): the service stages go on the heading's line,
  // leaving at most three below it.
  const services = [d.finished['health'], d.finished['metrics']].filter(Boolean).join('; ');
  if (services) heading += ` · ${services}`;
  const lines = [d.finished['scrape'], d.finished['patterns'], d.finished['bandit']].filter(Boolean);
  return lines.length ? [heading, '', ...lines.map((line) => `- ${line}`)].join('\n') : heading;
}

/** "scrape failed: <reason>", the reason cut short. */
export function stageOutcomeLine(stage: string, outcome: 'failed' | 'skipped', reason: string): string {
  const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
  return `${stage} ${outcome}: ${short.replace(/\s+/g, ' ')}`;
}

export interface BanditDetails {
  experimentId: string;
  /** Runs of the entity before this one (continue-as-new starts the next). */
  generation: number;
  outcomes: number;
  variants: number;
  /** The newest computed weights: on how many outcomes, and when (workflow time; unknown when carried over). */
  computed: { basedOnOutcomes: number; at?: Date } | null;
  /** The newest publication to the experiment API. */
  published: { version: number; basedOnOutcomes: number; at?: Date } | null;
}

const time = (at: Date) => `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
const when = (at: Date | undefined) => (at ? ` at ${time(at)}` : ' (by an earlier run)');

/** The bandit entity: outcomes seen, the newest weights and the newest publication. */
export function banditDetails(d: BanditDetails): string {
  const lines = [
    `**Experiment ${d.experimentId}**${d.generation ? ` (entity run ${d.generation + 1})` : ''}`,
    '',
    `- ${plural(d.outcomes, 'outcome')} over ${plural(d.variants, 'variant')}`,
    d.computed
      ? `- weights on ${plural(d.computed.basedOnOutcomes, 'outcome')}, computed${when(d.computed.at)}`
      : '- no weights yet: computed on the first outcomes',
    d.published
      ? `- published version ${d.published.version} (${plural(d.published.basedOnOutcomes, 'outcome')})${when(d.published.at)}`
      : '- not published yet',
  ];
  return lines.join('\n');
}

/** ` (N new, M refreshed, K accounts unchanged)` when a scrape found posts it had seen; nothing on a first run. */
export function observedNote(s: { posts: number; observed?: Observed }): string {
  const o = s.observed;
  if (!o || o.newPosts === s.posts) return '';
  return ` (${o.newPosts} new, ${o.refreshedPosts} refreshed, ${plural(o.unchangedAccounts, 'account')} unchanged)`;
}
