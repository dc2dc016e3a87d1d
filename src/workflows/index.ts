// Every workflow type the worker registers; their exported names are the public interface
// (the CLI, schedules and `temporal workflow start --type` use them).
export { healthCheckWorkflow } from './health-check';
