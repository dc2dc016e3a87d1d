import { defineQuery } from '@temporalio/workflow';

/** How far a fan-out has got; answered by the scrape and pipeline workflows (the CLI prints it on --wait). */
export interface FanOutProgress {
  stage: string;
  batchesDone: number;
  batchesTotal: number;
  accountsDone: number;
  accountsTotal: number;
}

export const progressQuery = defineQuery<FanOutProgress>('progress');
