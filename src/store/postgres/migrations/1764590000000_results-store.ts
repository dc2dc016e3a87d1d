import type { MigrationBuilder } from 'node-pg-migrate' with { 'resolution-mode': 'import' };

/**
 * The results store's first schema. Text keys are `COLLATE "C"` so the database orders IDs exactly as
 * JavaScript does (and as the NDJSON store lists them), whatever the database's default locale.
 *
 * Staged rows (an attempt's unfinished output) live in UNLOGGED tables: they are rewritten rather than
 * recovered after a server crash, and the functions below check the staged row count before publishing,
 * so a crash that empties them makes the attempt start its account over instead of losing posts.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
CREATE TABLE accounts (
  run_key    text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  state      text NOT NULL CHECK (state IN ('scraping', 'complete')),
  attempt    integer NOT NULL,
  posts      integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_key, account_id)
);
COMMENT ON TABLE accounts IS 'One row per account of a run: scraping (an attempt is writing it, its posts invisible) or complete (its posts and profile published).';

CREATE TABLE profiles (
  run_key         text COLLATE "C" NOT NULL,
  account_id      text COLLATE "C" NOT NULL,
  followers       bigint NOT NULL,
  following       bigint NOT NULL,
  post_count      bigint NOT NULL,
  engagement_rate double precision NOT NULL,
  PRIMARY KEY (run_key, account_id)
);

CREATE TABLE posts (
  run_key    text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  post_id    text COLLATE "C" NOT NULL,
  seq        integer NOT NULL,
  created_at timestamptz NOT NULL,
  text       text NOT NULL,
  likes      bigint NOT NULL,
  shares     bigint NOT NULL,
  comments   bigint NOT NULL,
  views      bigint NOT NULL,
  PRIMARY KEY (run_key, account_id, post_id)
);
COMMENT ON TABLE posts IS 'Published posts of complete accounts only; seq is the order the scraper wrote them (newest first).';

CREATE TABLE post_outcomes (
  run_key     text COLLATE "C" NOT NULL,
  account_id  text COLLATE "C" NOT NULL,
  post_id     text COLLATE "C" NOT NULL,
  top_pattern text,
  virality    double precision NOT NULL,
  scored_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_key, account_id, post_id)
);
CREATE INDEX post_outcomes_by_pattern ON post_outcomes (run_key, top_pattern);

CREATE TABLE account_lists (
  name        text COLLATE "C" PRIMARY KEY,
  size        integer NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE account_list_entries (
  name       text COLLATE "C" NOT NULL REFERENCES account_lists (name) ON DELETE CASCADE,
  position   integer NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (name, position)
);

CREATE UNLOGGED TABLE staged_profiles (
  run_key         text COLLATE "C" NOT NULL,
  account_id      text COLLATE "C" NOT NULL,
  attempt         integer NOT NULL,
  followers       bigint NOT NULL,
  following       bigint NOT NULL,
  post_count      bigint NOT NULL,
  engagement_rate double precision NOT NULL,
  PRIMARY KEY (run_key, account_id, attempt)
);
CREATE UNLOGGED TABLE staged_posts (
  run_key    text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  attempt    integer NOT NULL,
  seq        integer NOT NULL,
  post_id    text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL,
  text       text NOT NULL,
  likes      bigint NOT NULL,
  shares     bigint NOT NULL,
  comments   bigint NOT NULL,
  views      bigint NOT NULL,
  PRIMARY KEY (run_key, account_id, attempt, seq)
);
COMMENT ON TABLE staged_posts IS 'Unfinished output of one activity attempt per account; seq counts units (the profile is unit 0).';

-- Opens an attempt's output for an account. With a checkpoint (from_attempt, from_units), continues
-- that attempt's staged rows cut back to the checkpoint; answers the units kept (0: start over).
CREATE FUNCTION viralflow_open_account(p_run text, p_account text, p_attempt integer, p_from_attempt integer, p_from_units integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  units integer := 0;
  staged integer;
BEGIN
  IF p_from_units > 0 AND p_from_attempt IS NOT NULL THEN
    IF p_from_attempt <> p_attempt THEN
      DELETE FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
      DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
      -- Copy, never move: the attempt that wrote them may still be running somewhere and writing more.
      INSERT INTO staged_profiles
        SELECT run_key, account_id, p_attempt, followers, following, post_count, engagement_rate
        FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_from_attempt;
      INSERT INTO staged_posts
        SELECT run_key, account_id, p_attempt, seq, post_id, created_at, text, likes, shares, comments, views
        FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_from_attempt AND seq < p_from_units;
    ELSE
      DELETE FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt AND seq >= p_from_units;
    END IF;
    SELECT count(*) INTO staged FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
    IF staged = p_from_units - 1 AND EXISTS (
      SELECT 1 FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt
    ) THEN
      units := p_from_units;
    END IF;
  END IF;
  IF units = 0 THEN
    DELETE FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
    DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
  END IF;
  -- A complete account stays published (and readable) until an attempt publishes its replacement.
  INSERT INTO accounts (run_key, account_id, state, attempt) VALUES (p_run, p_account, 'scraping', p_attempt)
    ON CONFLICT (run_key, account_id) DO UPDATE SET attempt = EXCLUDED.attempt, updated_at = now()
    WHERE accounts.state = 'scraping';
  RETURN units;
END $$;

-- Publishes an attempt's staged output in one transaction: readers see the whole account or none of it.
-- Refuses (SQLSTATE VF001) when the staged rows are not the units the writer counted, e.g. after a
-- server crash emptied the unlogged staging tables mid-attempt.
CREATE FUNCTION viralflow_complete_account(p_run text, p_account text, p_attempt integer, p_source integer, p_units integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  staged integer;
  published integer;
BEGIN
  -- Lock the account's row first, so two attempts completing at once publish one after the other.
  INSERT INTO accounts (run_key, account_id, state, attempt) VALUES (p_run, p_account, 'scraping', p_attempt)
    ON CONFLICT (run_key, account_id) DO UPDATE SET updated_at = now();
  SELECT count(*) INTO staged FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
  IF staged <> greatest(p_units - 1, 0) OR (p_units > 0) <> EXISTS (
    SELECT 1 FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt
  ) THEN
    RAISE EXCEPTION 'staged output of account % (attempt %) holds % posts, expected %', p_account, p_attempt, staged, greatest(p_units - 1, 0)
      USING ERRCODE = 'VF001';
  END IF;
  DELETE FROM posts WHERE run_key = p_run AND account_id = p_account;
  INSERT INTO posts (run_key, account_id, post_id, seq, created_at, text, likes, shares, comments, views)
    SELECT run_key, account_id, post_id, seq, created_at, text, likes, shares, comments, views
    FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt
    ORDER BY seq
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS published = ROW_COUNT;
  DELETE FROM profiles WHERE run_key = p_run AND account_id = p_account;
  INSERT INTO profiles
    SELECT run_key, account_id, followers, following, post_count, engagement_rate
    FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = p_attempt;
  UPDATE accounts SET state = 'complete', attempt = p_attempt, posts = published, updated_at = now()
    WHERE run_key = p_run AND account_id = p_account;
  DELETE FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt IN (p_attempt, p_source);
  DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt IN (p_attempt, p_source);
  RETURN published;
END $$;

-- Removes an account's output in a run, published or not (it has no valid result in this run).
CREATE FUNCTION viralflow_discard_account(p_run text, p_account text, p_attempts integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM staged_posts WHERE run_key = p_run AND account_id = p_account AND attempt = ANY (p_attempts);
  DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = p_account AND attempt = ANY (p_attempts);
  DELETE FROM posts WHERE run_key = p_run AND account_id = p_account;
  DELETE FROM profiles WHERE run_key = p_run AND account_id = p_account;
  DELETE FROM accounts WHERE run_key = p_run AND account_id = p_account;
END $$;
`);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
DROP FUNCTION viralflow_discard_account(text, text, integer[]);
DROP FUNCTION viralflow_complete_account(text, text, integer, integer, integer);
DROP FUNCTION viralflow_open_account(text, text, integer, integer, integer);
DROP TABLE staged_posts, staged_profiles, account_list_entries, account_lists, post_outcomes, posts, profiles, accounts;
`);
}
