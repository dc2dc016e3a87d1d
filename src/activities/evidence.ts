import {
  evidenceTotalsInput,
  recordOutcomesInput,
  recordRunEvidenceInput,
  type RecordOutcomesInput,
  type RecordRunEvidenceInput,
} from '../contracts/bandit';
import type { EvidenceChange, EvidenceLedger, RecordedOutcome, VariantCounts } from '../store/evidence';
import { parseInput } from './validate';

/**
 * The evidence ledger's activities. The pipeline records a scored run; the bandit entity reads the
 * totals (the store is the truth: a signal only says that new evidence exists) and records outcomes
 * given with an id. Each is idempotent, so a retry on any worker, a re-run or a Reset counts nothing twice.
 */
export function createEvidenceActivities(deps: { ledger: EvidenceLedger }) {
  return {
    async recordRunEvidence(raw: RecordRunEvidenceInput): Promise<EvidenceChange> {
      const { experimentId, runKey, successThreshold } = parseInput(recordRunEvidenceInput, raw, 'recordRunEvidence');
      return deps.ledger.recordRunEvidence(experimentId, runKey, successThreshold);
    },

    async recordOutcomes(raw: RecordOutcomesInput): Promise<EvidenceChange> {
      const { experimentId, outcome } = parseInput(recordOutcomesInput, raw, 'recordOutcomes');
      // `<id>/<n>`: the outcome's successes first, then its failures; the same id gives the same keys.
      const entries: RecordedOutcome[] = [];
      const successes = outcome.successes ?? 0;
      const total = successes + (outcome.failures ?? 0);
      for (let i = 0; i < total; i++)
        entries.push({ id: `${outcome.id}/${i}`, variant: outcome.variant, success: i < successes });
      return deps.ledger.recordOutcomes(experimentId, entries);
    },

    async evidenceTotals(raw: { experimentId: string }): Promise<VariantCounts> {
      const { experimentId } = parseInput(evidenceTotalsInput, raw, 'evidenceTotals');
      return deps.ledger.evidenceTotals(experimentId);
    },
  };
}
