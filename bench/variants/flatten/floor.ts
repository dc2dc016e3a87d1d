import type { PreparedVariant } from '../../child/variant';
import { floorFlatten } from '../../flatten-floor';
import { checkLeaves, fleetDocument } from './document';

export async function floor(): Promise<PreparedVariant> {
  const doc = fleetDocument();
  return { run: async () => checkLeaves(floorFlatten(doc).size) };
}
