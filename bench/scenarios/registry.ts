/** Every scenario by name: the operator definitions in report order, and variant loaders for the child runner. */
import type { VariantFactory } from '../child/variant';
import { engineScenario } from './engine';
import { flattenScenario } from './flatten';
import { healthScenario } from './health';
import { metricsScenario } from './metrics';
import { samplingVariants } from './sampling';
import type { OperatorScenario, VariantLoaders } from './scenario';
import { scraperScenario } from './scraper';
import { scraperStoreScenario } from './scraper-store';
import { thompsonScenario } from './thompson';

export const OPERATOR_SCENARIOS: OperatorScenario[] = [
  scraperScenario,
  scraperStoreScenario,
  engineScenario,
  thompsonScenario,
  metricsScenario,
  flattenScenario,
  healthScenario,
];

const LOADERS: Record<string, VariantLoaders> = {
  ...Object.fromEntries(OPERATOR_SCENARIOS.map((s) => [s.name, s.variants])),
  sampling: samplingVariants,
};

export async function loadVariant(scenario: string, variant: string): Promise<VariantFactory> {
  const load = LOADERS[scenario]?.[variant];
  if (!load) throw new Error(`no variant ${scenario}/${variant}`);
  return load();
}
