/**
 * The outside anchor for sampling throughput: numpy's Generator.beta (C, vectorized) on the same
 * posteriors (posteriors.ts's formula, restated in Python), run by Debian's /usr/bin/python3 with
 * python3-numpy (the pyenv python3 on PATH has no numpy). Two shapes of call: one per draw over all
 * variants (what a vectorized operator would write), and one call for all draws × variants (numpy's
 * best case).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, time
import numpy as np
args = json.loads(sys.argv[1])
V, D, budget, min_reps = args["variants"], args["draws"], args["budgetSeconds"], args["minReps"]
i = np.arange(V, dtype=np.int64)
a = (5 + (i * 7919) % 95 + 1).astype(np.float64)
b = (50 + (i * 104729) % 950 + 1).astype(np.float64)
rng = np.random.default_rng(args["seed"])
def per_draw():
    wins = np.zeros(V, dtype=np.int64)
    for _ in range(D):
        wins[np.argmax(rng.beta(a, b))] += 1
    return wins
A = np.broadcast_to(a, (D, V))
B = np.broadcast_to(b, (D, V))
def matrix():
    return rng.beta(A, B)
def timed(fn, warm):
    if warm:
        fn()  # first call allocates the output; the per-draw loop has nothing to warm
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget and len(times) < 200):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times
print(json.dumps({"numpy": np.__version__, "perDrawSeconds": timed(per_draw, False), "matrixSeconds": timed(matrix, True)}))
`;

export interface NumpyTimings {
  numpy: string;
  /** One rng.beta(a, b) call per draw over all variants, plus the arg-max tally: seconds per D×V draws. */
  perDrawSeconds: number[];
  /** One rng.beta call for the whole D×V matrix (no tally): seconds per D×V draws. */
  matrixSeconds: number[];
}

export function numpyAvailable(): boolean {
  return existsSync(PYTHON);
}

export function runNumpyAnchor(
  variants: number,
  draws: number,
  effort: { budgetSeconds: number; minReps: number },
): Promise<NumpyTimings> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-c', SCRIPT, JSON.stringify({ variants, draws, ...effort, seed: 42 })],
      { maxBuffer: 16 * 1024 * 1024, env: { PATH: '/usr/bin:/bin', OPENBLAS_NUM_THREADS: '1' } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`numpy anchor failed: ${err.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout) as NumpyTimings);
        } catch (parseErr) {
          reject(new Error(`numpy anchor printed no JSON: ${stdout.slice(0, 200)}`, { cause: parseErr }));
        }
      },
    );
  });
}
