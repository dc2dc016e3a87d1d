import type { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';

/**
 * Why a workflow failed, in one line, each cause said once: "failed: IncompleteResults: scrape stage: …".
 * A stage's message often includes its cause's (the pipeline repeats the child's, the child the
 * activity's): a cause already said is left out. Activity and child wrappers only say where the cause
 * came from ("Activity task failed"), so they are left out too.
 */
export function failureChain(err: WorkflowFailedError): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) continue;
    const message = e === err ? e.message.replace(/^Workflow execution /i, '') : e.message;
    if (!message || parts.some((said) => said.includes(message))) continue;
    parts.push(e instanceof ApplicationFailure && e.type ? `${e.type}: ${message}` : message);
  }
  return parts.join(': ');
}
