import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';

/**
 * The workflow bundle is built once at `npm run build` rather than by every worker at start-up:
 * webpack in the worker process costs ~100 MB of heap and seconds of start time. A manifest holds a
 * hash of the compiled workflow code, so a bundle older than that code is never loaded.
 */
const WORKFLOWS_PATH = require.resolve('../workflows');
const BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');
const MANIFEST_PATH = `${BUNDLE_PATH}.sha256`;

/** The compiled folders workflow code is built from: the workflows and the input contracts they parse with. */
const WORKFLOW_SOURCE_DIRS = [dirname(WORKFLOWS_PATH), join(dirname(WORKFLOWS_PATH), '..', 'contracts')];
/** And the modules the bundler settings below put in. */
const BUNDLER_SOURCE_FILES = [require.resolve('./workflow-zod'), require.resolve('./zod-locales-en')];

function workflowCodeHash(): string {
  const hash = createHash('sha256');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's exports map allows this JSON file
  hash.update(String((require('@temporalio/workflow/package.json') as { version: string }).version));
  for (const dir of WORKFLOW_SOURCE_DIRS) {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .sort()) {
      hash.update(file).update(readFileSync(join(dir, file)));
    }
  }
  for (const file of BUNDLER_SOURCE_FILES) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

/**
 * Settings for every build of the workflow bundle (`npm run build`, a worker bundling at start-up,
 * the tests). zod (for the input contracts) is preloaded into the sandbox's shared context: otherwise
 * its module code runs again for every workflow run, which made a short workflow's replay ~5x slower.
 * Its locale index is replaced by English alone: ~1 MB (with the source map) less to load.
 */
export const workflowBundlerOptions: Pick<BundleOptions, 'webpackConfigHook' | 'preloadModules'> = {
  preloadModules: [require.resolve('./workflow-zod')],
  webpackConfigHook: (config) => ({
    ...config,
    resolve: {
      ...config.resolve,
      alias: {
        ...(config.resolve?.alias as Record<string, string | false>),
        [require.resolve('zod/v4/locales')]: require.resolve('./zod-locales-en'),
      },
    },
  }),
};

/** Writes the bundle and its manifest next to the compiled code (run by `npm run build`). */
export async function writeWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
    ...workflowBundlerOptions,
  });
  writeFileSync(BUNDLE_PATH, code);
  writeFileSync(MANIFEST_PATH, workflowCodeHash());
  return BUNDLE_PATH;
}

/** The prebuilt bundle if it matches the compiled workflow code; otherwise undefined (bundle at start-up). */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  try {
    return readFileSync(MANIFEST_PATH, 'utf8') === workflowCodeHash() ? { codePath: BUNDLE_PATH } : undefined;
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  writeWorkflowBundle().then(
    (path) => console.log(`workflow bundle written: ${path}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
