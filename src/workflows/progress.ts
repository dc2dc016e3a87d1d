import { defineQuery, setCurrentDetails, setHandler } from '@temporalio/workflow';

/** How far a fan-out has got; answered by the scrape and pipeline workflows (the CLI prints it on --wait). */
export interface FanOutProgress {
  stage: string;
  batchesDone: number;
  batchesTotal: number;
  accountsDone: number;
  accountsTotal: number;
  /** Of the accounts done: scraped (in the sink) and failed (with a reason), and the posts stored so far. */
  scraped: number;
  failed: number;
  posts: number;
}

export const progressQuery = defineQuery<FanOutProgress>('progress');

/** The counts that only grow as batches finish. */
export type ProgressCounts = Pick<FanOutProgress, 'batchesDone' | 'accountsDone' | 'scraped' | 'failed' | 'posts'>;

export interface ProgressTracker {
  /** The record the progress query answers; changed only through `set` and `add`. */
  readonly progress: Readonly<FanOutProgress>;
  /** Sets fields (the stage, the totals) and shows the new state in the Web UI. */
  set(changes: Partial<FanOutProgress>): void;
  /** Adds what a finished batch (or chunk) did, and shows the new state in the Web UI. */
  add(counts: Partial<ProgressCounts>): void;
  /** Shows the state again: for details that also depend on something other than the counts. */
  show(): void;
}

/** A stage's progress before anything is done. */
export function initialProgress(stage: string): FanOutProgress {
  return { stage, batchesDone: 0, batchesTotal: 0, accountsDone: 0, accountsTotal: 0, scraped: 0, failed: 0, posts: 0 };
}

/**
 * A fresh progress record at `stage`, answered by this workflow's progress query from now on. After
 * every change, `details` renders it as the run's current details (markdown, what the Web UI shows
 * from the `__temporal_workflow_metadata` query), so the query and the UI read the same counts.
 */
export function trackProgress(stage: string, details: (progress: FanOutProgress) => string): ProgressTracker {
  const progress = initialProgress(stage);
  setHandler(progressQuery, () => progress);
  const show = () => setCurrentDetails(details(progress));
  show();
  return {
    progress,
    set(changes) {
      Object.assign(progress, changes);
      show();
    },
    add(counts) {
      for (const [key, n] of Object.entries(counts) as Array<[keyof ProgressCounts, number]>) progress[key] += n;
      show();
    },
    show,
  };
}
