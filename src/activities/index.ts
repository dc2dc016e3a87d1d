import type { ActivityDeps } from './deps';
import { createCheckHealth } from './health';

/** All viralflow activities, built from one set of shared dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    checkHealth: createCheckHealth({
      services: deps.services,
      breakers: deps.breakers,
      concurrency: deps.config.http.connectionsPerOrigin,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
