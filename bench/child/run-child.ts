/**
 * Parent side of a measured variant: forks bench/child/runner.js with the spec, lets the caller act
 * between warm-up and measurement (zero the simulator's counters), and returns what the child
 * measured.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { isChildMessage, type ChildResult, type ChildSpec, type ParentMessage } from './protocol';

export function runChild(spec: ChildSpec, onWarm: () => void | Promise<void>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'runner.js'), [JSON.stringify(spec)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The parent's own flags (e.g. --cpu-prof while profiling the harness) must not leak into the measured process.
      execArgv: process.env.BENCH_CHILD_NODE_OPTIONS ? process.env.BENCH_CHILD_NODE_OPTIONS.split(' ') : [],
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      if (message.type === 'warm') {
        Promise.resolve(onWarm()).then(
          () => child.send({ type: 'go' } satisfies ParentMessage),
          (err: unknown) => {
            child.kill();
            settle(() => reject(err instanceof Error ? err : new Error(String(err))));
          },
        );
      } else if (message.type === 'done') {
        settle(() => resolve(message.result));
      } else {
        settle(() => reject(new Error(`${spec.scenario}/${spec.variant} failed in its child:\n${message.message}`)));
      }
    });
    child.on('error', (err) => settle(() => reject(err)));
    child.on('exit', (code, signal) =>
      settle(() =>
        reject(new Error(`${spec.scenario}/${spec.variant}: child exited (${signal ?? code}) before reporting`)),
      ),
    );
  });
}
