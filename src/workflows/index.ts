// Every workflow type the worker registers; their exported names are the public interface
// (the CLI, schedules and `temporal workflow start --type` use them).
export { banditWorkflow } from './bandit';
export { collectMetricsWorkflow } from './collect-metrics';
export { healthCheckWorkflow } from './health-check';
export { extractPatternsWorkflow } from './patterns';
export { viralPipelineWorkflow } from './pipeline';
export { scrapeAccountsWorkflow, scrapeChunkWorkflow } from './scrape';
