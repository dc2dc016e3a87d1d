import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../config-error';
import { scrapedPost, scrapedProfile } from '../sink/types';
import { defaultSources } from './http-sources';
import {
  engineExtraction,
  type PatternEngine,
  type SocialSource,
  type SourceHttp,
  type Sources,
  type WeightsPublisher,
} from './types';

const SETTING = 'VIRALFLOW_SOURCES_MODULE';

/** The methods each source must have: what a module's factory answers is checked against this. */
const METHODS: { [K in keyof Sources]: ReadonlyArray<keyof Sources[K]> } = {
  social: ['profile', 'page'],
  engine: ['maxBatch', 'extract'],
  publisher: ['publish'],
};

/**
 * The sources a module names (VIRALFLOW_SOURCES_MODULE: a file path, relative to the working folder,
 * or a package name), checked at start-up so a wrong export stops the worker with a ConfigError, not
 * the first activity. Answers only what the module replaces; nothing when no module is configured.
 * What a plug-in answers at run time is checked against viralflow's types before viralflow uses it.
 */
export async function loadSources(config: { sourcesModule?: string }): Promise<Partial<Sources>> {
  const spec = config.sourcesModule;
  if (spec === undefined) return {};
  const fail = (problem: string, cause?: unknown): ConfigError =>
    new ConfigError(`${SETTING} (${spec}): ${problem}`, cause === undefined ? undefined : { cause });

  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl(spec))) as Record<string, unknown>;
  } catch (err) {
    throw fail(`cannot load the module: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  // A CommonJS module whose exports Node cannot list statically has them on `default` only.
  const factory = mod['createSources'] ?? (mod['default'] as Record<string, unknown> | undefined)?.['createSources'];
  if (typeof factory !== 'function') {
    const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule');
    throw fail(
      `expected an exported function createSources({ defaults }) answering { social?, engine?, publisher? }; ` +
        `the module exports ${names.length ? names.join(', ') : 'nothing'}`,
    );
  }
  let made: unknown;
  try {
    made = await (factory as (o: { defaults: Sources }) => unknown)({ defaults: defaultSources });
  } catch (err) {
    throw fail(`createSources threw: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (typeof made !== 'object' || made === null || Array.isArray(made)) {
    throw fail('createSources must answer an object { social?, engine?, publisher? }');
  }
  const sources: Partial<Sources> = {};
  for (const [key, value] of Object.entries(made)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(METHODS, key)) {
      throw fail(`createSources answered an unknown source "${key}" (expected social, engine or publisher)`);
    }
    const name = key as keyof Sources;
    const missing = METHODS[name].filter(
      (method) => typeof (value as Record<string, unknown> | null)?.[method as string] !== 'function',
    );
    if (missing.length) throw fail(`${name} has no ${missing.join(' or ')} function`);
    Object.assign(sources, { [name]: value === defaultSources[name] ? value : checked(name, value as never) });
  }
  return sources;
}

function moduleUrl(spec: string): string {
  const cwd = process.cwd();
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolve(cwd, spec)).href;
  // A package name, found from the working folder as `node -e "require.resolve(...)"` there would.
  return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(spec)).href;
}

const postsPage = z.object({ posts: z.array(scrapedPost), nextCursor: z.string().nullable() });
const maxBatch = z.number().int().min(1);
const extractions = z.array(engineExtraction.extend({ id: z.string() }));
const published = z.object({ experimentId: z.string(), version: z.number().int().positive() });

/** A mismatch is a MalformedResponseError about the source's last request: that account, batch or publish fails. */
function expect<S extends z.ZodType>(schema: S, value: unknown, http: SourceHttp, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue?.path.length ? issue.path.join('.') : '(root)';
  throw http.malformed(`the plugged-in source's ${what} at ${at}: ${issue?.message ?? 'unexpected shape'}`);
}

function checked<K extends keyof Sources>(name: K, source: Sources[K]): Sources[K] {
  const checkers: { [N in keyof Sources]: (s: Sources[N]) => Sources[N] } = {
    social: (s: SocialSource): SocialSource => ({
      profile: async (id, ctx) => expect(scrapedProfile, await s.profile(id, ctx), ctx.http, 'profile'),
      page: async (id, cursor, ctx) => expect(postsPage, await s.page(id, cursor, ctx), ctx.http, 'page'),
    }),
    engine: (s: PatternEngine): PatternEngine => ({
      maxBatch: async (ctx) => expect(maxBatch, await s.maxBatch(ctx), ctx.http, 'maxBatch'),
      extract: async (items, ctx) => expect(extractions, await s.extract(items, ctx), ctx.http, 'extractions'),
    }),
    publisher: (s: WeightsPublisher): WeightsPublisher => ({
      publish: async (id, weights, ctx) =>
        expect(published, await s.publish(id, weights, ctx), ctx.http, 'publish answer'),
    }),
  };
  return checkers[name](source);
}
