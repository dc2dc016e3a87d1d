import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

/**
 * Custom search attributes that make runs findable in the Web UI (`ViralflowPipeline = "…"`).
 * The dev server registers them at start-up; on other clusters register them with
 * `temporal operator search-attribute create --name ViralflowPipeline --type Keyword`.
 */
export const PIPELINE_KEY: SearchAttributeKey<'KEYWORD'> = { name: 'ViralflowPipeline', type: 'KEYWORD' };
export const EXPERIMENT_KEY: SearchAttributeKey<'KEYWORD'> = { name: 'ViralflowExperiment', type: 'KEYWORD' };

/** Name -> CLI type, for `temporal server start-dev --search-attribute`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES: Record<string, string> = {
  [PIPELINE_KEY.name]: 'Keyword',
  [EXPERIMENT_KEY.name]: 'Keyword',
};
