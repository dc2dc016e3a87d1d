/**
 * The evidence ledger: what an experiment's bandit counts rest on. At most one outcome per (experiment,
 * post): recording a post again replaces its outcome (a matured post moves from failure to success), it
 * never adds a second. It lives in the results store, not in workflow state, so it holds millions of
 * posts and outlives continue-as-new, Resets and re-runs; the bandit entity reads its totals from here.
 */

/** Successes and failures per variant (a variant is a top pattern, or a hand-recorded arm). */
export type VariantCounts = Record<string, { successes: number; failures: number }>;

/** What recording did to the ledger: posts new to it, posts whose outcome (variant or verdict) moved, the rest. */
export interface EvidenceChange {
  added: number;
  moved: number;
  unchanged: number;
}

/** One hand-recorded outcome (`viralflow bandit record`): its ID makes a repeat count once. */
export interface RecordedOutcome {
  /** The caller's ID for this outcome; recording the same ID again replaces it. */
  id: string;
  variant: string;
  success: boolean;
}

/** Where hand-recorded outcomes sit in the ledger's post key space (not a valid account ID, so no post collides). */
export const RECORDED_OUTCOMES_ACCOUNT = '#recorded';

export interface EvidenceLedger {
  /**
   * Records a run's per-post outcomes (from the patterns stage) as the experiment's evidence: a post at or
   * above `successThreshold` is a success of its top pattern ('none' without one). Safe to repeat: the
   * answer is the run's change as first recorded, plus any later moves (a retry that finds its rows in place
   * reports the same numbers and changes nothing).
   */
  recordRunEvidence(experimentId: string, runKey: string, successThreshold: number): Promise<EvidenceChange>;
  /** Records hand-recorded outcomes, one ledger entry per ID. */
  recordOutcomes(experimentId: string, outcomes: readonly RecordedOutcome[]): Promise<EvidenceChange>;
  /** The experiment's totals per variant, counted from the ledger now. */
  evidenceTotals(experimentId: string): Promise<VariantCounts>;
}
