import { MockActivityEnvironment } from '@temporalio/testing';

/** Runs an activity function in a fresh MockActivityEnvironment, keeping its types (the SDK's `run` returns unknown). */
export function runActivity<I, O>(
  fn: (input: I) => Promise<O>,
  input: I,
  env: MockActivityEnvironment = new MockActivityEnvironment(),
): Promise<O> {
  return env.run(fn, input) as Promise<O>;
}
