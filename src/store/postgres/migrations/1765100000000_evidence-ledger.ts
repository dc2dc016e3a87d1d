import type { MigrationBuilder } from 'node-pg-migrate' with { 'resolution-mode': 'import' };

/**
 * The evidence ledger (src/store/evidence.ts): one outcome per (experiment, post), and per (experiment,
 * run) the change its first recording made, so a retried or repeated recording reports the same figures.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
CREATE TABLE evidence (
  experiment_id text COLLATE "C" NOT NULL,
  account_id    text COLLATE "C" NOT NULL,
  post_id       text COLLATE "C" NOT NULL,
  variant       text COLLATE "C" NOT NULL,
  success       boolean NOT NULL,
  recorded_by   text COLLATE "C" NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, account_id, post_id)
);
COMMENT ON TABLE evidence IS 'One outcome per experiment and post: what the bandit counts. recorded_by is the run key (or hand-recorded outcome ID) that last set it.';
-- The bandit's totals are a GROUP BY over this index alone.
CREATE INDEX evidence_totals ON evidence (experiment_id, variant, success);

CREATE TABLE evidence_runs (
  experiment_id text COLLATE "C" NOT NULL,
  run_key       text COLLATE "C" NOT NULL,
  added         integer NOT NULL,
  moved         integer NOT NULL,
  unchanged     integer NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, run_key)
);
COMMENT ON TABLE evidence_runs IS 'Per experiment and run: what recording the run changed in the ledger (first recording plus later moves).';
`);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP TABLE evidence_runs, evidence;');
}
