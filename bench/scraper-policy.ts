/**
 * What the product scraper's own scheduling costs, with every request taking exactly L and no other
 * overhead: accounts run through a limit of A at a time (p-limit), each account sends its profile
 * and page 1 together, then its following pages one after another, and the HTTP pool serves queued
 * requests first-in first-out on C connections. Comparing these rounds with the optimal schedule
 * (floor.ts) separates time lost to the policy from time lost to per-request overhead.
 */

export interface PolicyInput {
  accounts: number;
  pages: number;
  /** Accounts in flight at once (the scraper's `concurrency`). */
  accountConcurrency: number;
  connections: number;
}

interface Queued {
  account: number;
  /** 0 = profile, 1..pages = that posts page. */
  step: number;
}

/** Rounds of L the policy takes to finish every account. */
export function scraperPolicyRounds(input: PolicyInput): number {
  const { accounts, pages, accountConcurrency, connections } = input;
  if (accounts <= 0) return 0;
  let queue: Queued[] = [];
  const firstStepLeft = new Array<number>(accounts).fill(2); // profile and page 1
  let nextAccount = 0;
  let finished = 0;
  const start = () => {
    const account = nextAccount++;
    // The scraper creates the page request before the profile request.
    queue.push({ account, step: 1 }, { account, step: 0 });
  };
  const finish = () => {
    finished++;
    if (nextAccount < accounts) start();
  };
  for (let i = 0; i < Math.min(accountConcurrency, accounts); i++) start();

  let rounds = 0;
  while (finished < accounts) {
    rounds++;
    const running = queue.slice(0, connections);
    queue = queue.slice(connections);
    // Completions are handled in dispatch order; what they enqueue joins the back of the queue.
    for (const { account, step } of running) {
      if (step <= 1) {
        if (--firstStepLeft[account]! > 0) continue;
        if (pages > 1) queue.push({ account, step: 2 });
        else finish();
      } else if (step < pages) {
        queue.push({ account, step: step + 1 });
      } else {
        finish();
      }
    }
  }
  return rounds;
}
