import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** A one-line reason for a failed activity or child, for results that report partial failure. */
export function failureReason(err: unknown): string {
  const root = (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) && err.cause ? err.cause : err;
  if (root instanceof ApplicationFailure && root.type) return `${root.type}: ${root.message}`;
  return root instanceof Error ? root.message : String(root);
}
