import type { MigrationBuilder } from 'node-pg-migrate' with { 'resolution-mode': 'import' };

/**
 * Attempt fences (see AttemptFence in src/sink/types.ts): each account of a run keeps the newest fence
 * that opened, discarded or swept it, and every step that changes its output takes that row first
 * (one lock order for all of them: no deadlock) and refuses an older attempt (SQLSTATE VF002).
 * The fence arguments default to NULL, so workers of the previous version keep calling the functions
 * unfenced during a rolling deploy.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
CREATE TABLE account_fences (
  run_key    text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  fence      bigint NOT NULL,
  PRIMARY KEY (run_key, account_id)
);
COMMENT ON TABLE account_fences IS 'Per account of a run: the schedule time of the newest activity attempt that opened, discarded or swept it.';

-- Raises the account's fence to p_fence (locking its row) and answers whether p_fence is now the newest.
CREATE FUNCTION viralflow_claim_account(p_run text, p_account text, p_fence bigint)
RETURNS boolean LANGUAGE sql AS $$
  INSERT INTO account_fences AS f (run_key, account_id, fence) VALUES (p_run, p_account, p_fence)
    ON CONFLICT (run_key, account_id) DO UPDATE SET fence = greatest(f.fence, EXCLUDED.fence)
    RETURNING fence <= p_fence
$$;

-- As viralflow_claim_account, raising VF002 for an older attempt; NULL (an unfenced caller) claims nothing.
CREATE FUNCTION viralflow_fence_account(p_run text, p_account text, p_fence bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_fence IS NOT NULL AND NOT viralflow_claim_account(p_run, p_account, p_fence) THEN
    RAISE EXCEPTION 'account %: a newer attempt owns its output', p_account USING ERRCODE = 'VF002';
  END IF;
END $$;

ALTER FUNCTION viralflow_open_account(text, text, integer, integer, integer) RENAME TO viralflow_open_account_unfenced;
CREATE FUNCTION viralflow_open_account(p_run text, p_account text, p_attempt integer, p_from_attempt integer, p_from_units integer, p_fence bigint DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  PERFORM viralflow_fence_account(p_run, p_account, p_fence);
  RETURN viralflow_open_account_unfenced(p_run, p_account, p_attempt, p_from_attempt, p_from_units);
END $$;

ALTER FUNCTION viralflow_append(text, text, integer, boolean, integer, bigint, bigint, bigint, double precision, text[], timestamptz[], text[], bigint[], bigint[], bigint[], bigint[])
  RENAME TO viralflow_append_unfenced;
-- A fresh account's first page opens it: the fence is claimed first, then the unfenced append opens
-- (its call to viralflow_open_account passes no fence) and writes.
CREATE FUNCTION viralflow_append(
  p_run text, p_account text, p_attempt integer, p_fresh boolean, p_first_seq integer,
  p_followers bigint, p_following bigint, p_post_count bigint, p_engagement_rate double precision,
  p_post_ids text[], p_created_at timestamptz[], p_texts text[], p_likes bigint[], p_shares bigint[], p_comments bigint[], p_views bigint[],
  p_fence bigint DEFAULT NULL
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_fresh THEN
    PERFORM viralflow_fence_account(p_run, p_account, p_fence);
  END IF;
  PERFORM viralflow_append_unfenced(p_run, p_account, p_attempt, p_fresh, p_first_seq, p_followers, p_following,
    p_post_count, p_engagement_rate, p_post_ids, p_created_at, p_texts, p_likes, p_shares, p_comments, p_views);
END $$;

ALTER FUNCTION viralflow_complete_account(text, text, integer, integer, integer) RENAME TO viralflow_complete_account_unfenced;
CREATE FUNCTION viralflow_complete_account(p_run text, p_account text, p_attempt integer, p_source integer, p_units integer, p_fence bigint DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  PERFORM viralflow_fence_account(p_run, p_account, p_fence);
  RETURN viralflow_complete_account_unfenced(p_run, p_account, p_attempt, p_source, p_units);
END $$;

ALTER FUNCTION viralflow_discard_account(text, text, integer[]) RENAME TO viralflow_discard_account_unfenced;
CREATE FUNCTION viralflow_discard_account(p_run text, p_account text, p_attempts integer[], p_fence bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM viralflow_fence_account(p_run, p_account, p_fence);
  PERFORM viralflow_discard_account_unfenced(p_run, p_account, p_attempts);
END $$;

-- The accounts of a list that p_fence may change, their fence rows locked in ID order (any two callers
-- lock overlapping lists in the same order); all of them when p_fence is NULL.
CREATE FUNCTION viralflow_claim_accounts(p_run text, p_accounts text[], p_fence bigint)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  id text;
  own text[] := '{}';
BEGIN
  FOR id IN SELECT DISTINCT a FROM unnest(p_accounts) AS a ORDER BY a LOOP
    IF p_fence IS NULL OR viralflow_claim_account(p_run, id, p_fence) THEN
      own := own || id;
    END IF;
  END LOOP;
  RETURN own;
END $$;

-- Unfinished output of these accounts, any attempt, except accounts a newer attempt holds.
CREATE FUNCTION viralflow_sweep_partials(p_run text, p_accounts text[], p_fence bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  own text[] := viralflow_claim_accounts(p_run, p_accounts, p_fence);
  gone integer;
BEGIN
  -- The account rows before the staged ones, as viralflow_complete_account takes them.
  DELETE FROM accounts WHERE run_key = p_run AND account_id = ANY (own) AND state = 'scraping';
  WITH posts AS (
    DELETE FROM staged_posts WHERE run_key = p_run AND account_id = ANY (own) RETURNING account_id, attempt
  ), profiles AS (
    DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = ANY (own) RETURNING account_id, attempt
  )
  SELECT count(*)::integer INTO gone FROM (SELECT account_id, attempt FROM posts UNION SELECT account_id, attempt FROM profiles) AS g;
  RETURN gone;
END $$;

-- All output of these accounts (the run reports them failed), except accounts a newer attempt holds;
-- answers how many had complete output.
CREATE FUNCTION viralflow_discard_accounts(p_run text, p_accounts text[], p_fence bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  own text[] := viralflow_claim_accounts(p_run, p_accounts, p_fence);
  published integer;
BEGIN
  WITH states AS (
    DELETE FROM accounts WHERE run_key = p_run AND account_id = ANY (own) RETURNING state
  )
  SELECT count(*) FILTER (WHERE state = 'complete')::integer INTO published FROM states;
  DELETE FROM staged_posts WHERE run_key = p_run AND account_id = ANY (own);
  DELETE FROM staged_profiles WHERE run_key = p_run AND account_id = ANY (own);
  DELETE FROM posts WHERE run_key = p_run AND account_id = ANY (own);
  DELETE FROM profiles WHERE run_key = p_run AND account_id = ANY (own);
  RETURN published;
END $$;
`);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
DROP FUNCTION viralflow_discard_accounts(text, text[], bigint);
DROP FUNCTION viralflow_sweep_partials(text, text[], bigint);
DROP FUNCTION viralflow_claim_accounts(text, text[], bigint);
DROP FUNCTION viralflow_discard_account(text, text, integer[], bigint);
ALTER FUNCTION viralflow_discard_account_unfenced(text, text, integer[]) RENAME TO viralflow_discard_account;
DROP FUNCTION viralflow_complete_account(text, text, integer, integer, integer, bigint);
ALTER FUNCTION viralflow_complete_account_unfenced(text, text, integer, integer, integer) RENAME TO viralflow_complete_account;
DROP FUNCTION viralflow_open_account(text, text, integer, integer, integer, bigint);
ALTER FUNCTION viralflow_open_account_unfenced(text, text, integer, integer, integer) RENAME TO viralflow_open_account;
DROP FUNCTION viralflow_append(text, text, integer, boolean, integer, bigint, bigint, bigint, double precision, text[], timestamptz[], text[], bigint[], bigint[], bigint[], bigint[], bigint);
ALTER FUNCTION viralflow_append_unfenced(text, text, integer, boolean, integer, bigint, bigint, bigint, double precision, text[], timestamptz[], text[], bigint[], bigint[], bigint[], bigint[])
  RENAME TO viralflow_append;
DROP FUNCTION viralflow_fence_account(text, text, bigint);
DROP FUNCTION viralflow_claim_account(text, text, bigint);
DROP TABLE account_fences;
`);
}
