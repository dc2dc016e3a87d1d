import { z } from 'zod';

/**
 * Preloaded once into the workflow sandbox's shared V8 context (see workflowBundlerOptions), so zod's
 * module code runs once per worker instead of once per workflow run. Jitless: zod would otherwise
 * compile a parser with `new Function` for object schemas in every workflow run.
 *
 * zod sets its defaults (English messages, the memoizer containers use) in its global config when the
 * first schema of each kind is built; they are set here instead, since the sandbox freezes its globals
 * once the preload is done.
 */
z.config({ jitless: true, memoizer: z.memoizer(), ...z.locales.en() });
