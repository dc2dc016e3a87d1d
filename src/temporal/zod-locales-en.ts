// Stands in for zod's locale index in the workflow bundle (see workflowBundlerOptions): English only,
// the locale zod configures itself with; the other 40-odd are a third of zod's code and unused here.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- webpack resolves this synchronously into the bundle
const english = require('zod/v4/locales/en.cjs') as (() => object) & { default?: () => object };
export const en = english.default ?? english;
