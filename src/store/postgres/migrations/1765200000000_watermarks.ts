import type { MigrationBuilder } from 'node-pg-migrate' with { 'resolution-mode': 'import' };

/** Incremental scraping's high-water marks (src/store/watermarks.ts). */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
CREATE TABLE watermarks (
  source            text COLLATE "C" NOT NULL,
  account_id        text COLLATE "C" NOT NULL,
  newest_created_at timestamptz NOT NULL,
  run_key           text COLLATE "C" NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, account_id)
);
COMMENT ON TABLE watermarks IS 'Per source and account: the newest post time of the last final run (run_key); scrapes stop there.';
`);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP TABLE watermarks;');
}
