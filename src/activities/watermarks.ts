import { advanceWatermarksInput, type AdvanceWatermarksInput } from '../contracts/scrape';
import type { Watermarks } from '../store/watermarks';
import { parseInput } from './validate';

/**
 * Moves incremental scraping's marks to a scrape run's final output: run by the scrape workflow once every
 * batch is done and the failed ones' output discarded, so a mark never passes a post the store lacks.
 * Marks only move forward: a retry, a re-run or an older run finishing late changes nothing.
 */
export function createAdvanceWatermarks(deps: { marks: Pick<Watermarks, 'advanceWatermarks'>; source: string }) {
  return async function advanceWatermarks(raw: AdvanceWatermarksInput): Promise<{ advanced: number }> {
    const { runKey } = parseInput(advanceWatermarksInput, raw, 'advanceWatermarks');
    return { advanced: await deps.marks.advanceWatermarks(deps.source, runKey) };
  };
}
