/**
 * Runs an activity function the way the worker would, inside an activity Context (heartbeat,
 * cancellation signal, info), via the SDK's MockActivityEnvironment: the product code path without
 * a Temporal server in the measurement. A fresh environment per execution, as each real execution
 * gets its own Context.
 */
import { defaultPayloadConverter, toPayloads } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';

export function inActivityContext<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> {
  const env = new MockActivityEnvironment();
  // A worker converts each heartbeat's details to payloads as it takes them; the mock only emits them.
  env.on('heartbeat', (details: unknown) => toPayloads(defaultPayloadConverter, details));
  return env.run(fn, input) as Promise<O>;
}
