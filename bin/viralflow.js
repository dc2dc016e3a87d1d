#!/bin/sh
':' /*
# (Line 2: sh runs `:`, which ignores the paths `/*` expands to; JavaScript reads a directive, then a comment.)
# Run as a program (`viralflow`, `bin/viralflow.js`, the Docker image), this file is a POSIX sh script first:
# V8 fixes its heap limits when node starts, so for `worker` it asks dist/src/memory/launch-settings.js for the
# flags the memory budget needs, then execs node on this same file (as JavaScript) with them: one node process
# stays, not a parent plus a child. `node bin/viralflow.js …` skips this part (the worker then warns).
self=$(readlink -f "$0") || exit 1
settings_js="${self%/bin/*}/dist/src/memory/launch-settings.js"
if [ "$1" = worker ] && [ -f "$settings_js" ]; then
  settings=$(node "$settings_js") || exit $?
  eval "$settings"
  exec node $VIRALFLOW_NODE_FLAGS "$self" "$@"
fi
exec node "$self" "$@"
*/
// A plain `worker` skips the CLI's modules (see src/worker-process.ts); anything else goes through the CLI.
const workerOnly = process.argv.length === 3 && process.argv[2] === 'worker';
let cli;
try {
  cli = require(workerOnly ? '../dist/src/worker-process' : '../dist/src/cli');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    console.error('viralflow is not built yet: run `npm run build` (or `npm ci`) in the project folder first.');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv).catch((err) => {
  console.error(`viralflow: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
