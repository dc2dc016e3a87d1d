/**
 * High-water marks for incremental scraping: per (source, account), the newest post time the store held
 * when a run of that account was last final. A scrape pages newest-first and stops at the mark (keeping
 * posts young enough to refresh), so a schedule fetches only what is new. Marks move only forward and
 * only from a run's final output (after failed batches were discarded), so no post is skipped for good.
 */
export interface Watermarks {
  /** The marks of these accounts (ISO times); accounts never completed have none. */
  watermarks(source: string, accountIds: readonly string[]): Promise<Map<string, string>>;
  /** Moves each complete account of the run to its newest stored post, if later; answers how many moved. */
  advanceWatermarks(source: string, runKey: string): Promise<number>;
}
