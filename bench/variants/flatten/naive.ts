import type { PreparedVariant } from '../../child/variant';
import { naiveFlatten } from '../../naive/flatten';
import { checkLeaves, fleetDocument } from './document';

export async function naive(): Promise<PreparedVariant> {
  const doc = fleetDocument();
  return { run: async () => checkLeaves(Object.keys(naiveFlatten(doc)).length) };
}
