/**
 * Physical lower bounds ("floors") for the benchmarked workloads: what no client could beat against
 * an upstream that answers every request in exactly L ms, with at most C requests in flight (one
 * per keep-alive connection; undici does not pipeline). CPU time, the network stack and Temporal
 * are deliberately left out, so a floor is a bound, not a prediction.
 */

/** N independent requests over C connections: they go in ⌈N/C⌉ waves of L. */
export function independentRequestsFloorMs(requests: number, connections: number, latencyMs: number): number {
  checkPositive(connections, 'connections');
  if (requests <= 0) return 0;
  return Math.ceil(requests / connections) * latencyMs;
}

/**
 * The fewest rounds of L that finish a set of request chains (each request needs the one before it
 * in its chain, e.g. page 2 needs page 1's cursor) with at most C requests per round. Unit-length
 * tasks whose precedence graph is a forest of chains are scheduled optimally by Hu's algorithm
 * (1961): each round runs the C ready requests with the most work still behind them.
 */
export function chainScheduleRounds(chainLengths: readonly number[], connections: number): number {
  checkPositive(connections, 'connections');
  const remaining = chainLengths.filter((n) => n > 0).sort((a, b) => b - a);
  let rounds = 0;
  while (remaining.length > 0) {
    rounds++;
    // The longest C chains each advance by one request; re-sorting keeps "longest first" exact.
    const take = Math.min(connections, remaining.length);
    for (let i = 0; i < take; i++) remaining[i]!--;
    let live = 0;
    for (const n of remaining) if (n > 0) remaining[live++] = n;
    remaining.length = live;
    remaining.sort((a, b) => b - a);
  }
  return rounds;
}

/** Posts pages an account takes to read: the last page is the one whose next cursor is null. */
export function pagesPerAccount(postsPerAccount: number, pageSize: number): number {
  checkPositive(pageSize, 'pageSize');
  return Math.max(1, Math.ceil(postsPerAccount / pageSize));
}

export interface ScraperFloorInput {
  accounts: number;
  /** Pages of posts per account (≥ 1). */
  pages: number;
  connections: number;
  latencyMs: number;
}

/**
 * The scraper's floor: per account the profile (a chain of one) and the posts pages (a chain of
 * `pages`, each needing the previous cursor); the profile and page 1 may run together. The optimal
 * schedule's rounds × L; never less than the longest chain (pages·L) nor ⌈N/C⌉·L.
 */
export function scraperFloor(input: ScraperFloorInput): {
  ms: number;
  rounds: number;
  requests: number;
  formula: string;
} {
  const chains: number[] = [];
  for (let i = 0; i < input.accounts; i++) chains.push(1, input.pages);
  const rounds = chainScheduleRounds(chains, input.connections);
  const requests = input.accounts * (input.pages + 1);
  return {
    ms: rounds * input.latencyMs,
    rounds,
    requests,
    formula:
      `optimal (Hu) schedule of ${input.accounts} × (profile ∥ ${input.pages} chained pages) = ${requests} requests on ` +
      `C=${input.connections}: ${rounds} rounds × L=${input.latencyMs} ms ` +
      `(lower bounds: longest chain ${input.pages}, ⌈N/C⌉ = ${Math.ceil(requests / input.connections)})`,
  };
}

function checkPositive(n: number, what: string): void {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}
