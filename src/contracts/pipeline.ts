import { z } from 'zod';
import { withExactlyOne } from './exactly-one';
import { jsonObject } from './json-object';
import { experimentId, serviceName } from './names';
import { successThreshold } from './patterns';
import { accountSourceFields, scrapeFields } from './scrape';

const serviceList = 'must be a non-empty array of configured service names';

/** The full job's input: the scrape's fields, then what the later stages need. */
export const viralPipelineInput = withExactlyOne(
  jsonObject({
    ...scrapeFields,
    /** The bandit experiment fed with the patterns' outcomes. @default 'viral-patterns' */
    experimentId: experimentId.optional(),
    /**
     * Services to health-check and collect metrics from (default: all configured). Whether each is
     * configured is the health activity's to say, which it does before calling anything.
     */
    services: z
      .array(serviceName, { error: serviceList })
      .min(1, { error: serviceList })
      .max(500, { error: serviceList })
      .optional(),
    /** Virality at or above this counts as a success for the post's top pattern. @default 0.5 */
    successThreshold: successThreshold.optional(),
  }),
  Object.keys(accountSourceFields),
);
export type ViralPipelineInput = z.input<typeof viralPipelineInput>;

export const DEFAULT_EXPERIMENT_ID = 'viral-patterns';
