import { flattenNumbers } from '../../../src/metrics-collection/flatten';
import type { PreparedVariant } from '../../child/variant';
import { checkLeaves, fleetDocument } from './document';

export async function viralflow(): Promise<PreparedVariant> {
  const doc = fleetDocument();
  return { run: async () => checkLeaves(flattenNumbers(doc).size) };
}
