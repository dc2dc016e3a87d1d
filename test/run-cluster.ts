/**
 * `npm run test:cluster`: checks (and installs) the prerequisites, makes sure the Temporal server and its schema tool exist (building them from
 * the server's Go module the first time, with progress), then runs the cluster tests in dist/test/cluster.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { resolveServerBinaries } from '../src/cluster/server-binaries';
import { withPrerequisites } from './prerequisites';

withPrerequisites(async () => {
  const started = Date.now();
  const binaries = await resolveServerBinaries({ log: (line) => console.log(line) });
  console.log(
    `Temporal server: ${binaries.server} (${binaries.sources.server}), schema tool: ${binaries.sqlTool} (${binaries.sources.sqlTool}), ${Math.round((Date.now() - started) / 1000)} s`,
  );
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=1', join(__dirname, 'cluster', '*.test.js')],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        TEMPORAL_SERVER_PATH: binaries.server,
        TEMPORAL_SQL_TOOL_PATH: binaries.sqlTool,
        TEMPORAL_SCHEMA_DIR: binaries.schemaDir,
      },
    },
  );
  return result.status ?? 1;
});
