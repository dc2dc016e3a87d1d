import { defineQuery, setHandler } from '@temporalio/workflow';

/** How far a fan-out has got; answered by the scrape and pipeline workflows (the CLI prints it on --wait). */
export interface FanOutProgress {
  stage: string;
  batchesDone: number;
  batchesTotal: number;
  accountsDone: number;
  accountsTotal: number;
}

export const progressQuery = defineQuery<FanOutProgress>('progress');

/** A fresh progress record at `stage`, answered by this workflow's progress query from now on. */
export function trackProgress(stage: string): FanOutProgress {
  const progress: FanOutProgress = { stage, batchesDone: 0, batchesTotal: 0, accountsDone: 0, accountsTotal: 0 };
  setHandler(progressQuery, () => progress);
  return progress;
}
