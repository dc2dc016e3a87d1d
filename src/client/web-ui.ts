/** Links into the Temporal Web UI (the dev server serves it on :8233; TEMPORAL_UI_URL points elsewhere). */

export const DEFAULT_UI_URL = 'http://localhost:8233';

const base = (uiUrl: string, namespace: string) =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}`;

/** `<ui>/namespaces/<ns>/workflows/<id>/<runId>/history`; without a run ID, the UI shows the latest run. */
export function workflowLink(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const run = runId ? `/${encodeURIComponent(runId)}/history` : '';
  return `${base(uiUrl, namespace)}/workflows/${encodeURIComponent(workflowId)}${run}`;
}

export function scheduleLink(uiUrl: string, namespace: string, scheduleId: string): string {
  return `${base(uiUrl, namespace)}/schedules/${encodeURIComponent(scheduleId)}`;
}
