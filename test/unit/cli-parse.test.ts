import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server';
import { EXIT, runCli } from '../../src/cli';
import { formatDuration, parseDuration } from '../../src/client/duration';
import { InvalidDurationError, InvalidJsonError, UnknownWorkflowError, UsageError } from '../../src/client/errors';
import { parseJson } from '../../src/client/json-input';
import { workflowLink } from '../../src/client/web-ui';
import { readWorkflowInput } from '../../src/client/workflow-input';
import { resolveWorkflow } from '../../src/client/workflow-types';

const dir = mkdtempSync(join(tmpdir(), 'vf-cli-parse-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('JSON input', () => {
  const position = (text: string) => {
    try {
      parseJson(text, '--input');
    } catch (err) {
      assert.ok(err instanceof InvalidJsonError);
      return { at: err.position, line: err.line, column: err.column, problem: err.problem, message: err.message };
    }
    assert.fail(`${text} parsed`);
  };

  test('names the position of the first error, including where V8 does not', () => {
    assert.equal(position('{"a": tru}').at, 9, 'V8 only says "Unexpected token"');
    assert.equal(position('abc').at, 0);
    assert.equal(position('{"a":1,}').at, 7);
    assert.equal(position('[1 2]').at, 3);
    assert.equal(position('{"a":1').at, 6);
    assert.match(position('{"a":1').problem, /the text ends where "," or "}" was expected/);
    assert.match(position("{'a':1}").problem, /unexpected "'" where a property name in double quotes was expected/);
    assert.equal(position('{"a":"\\x"}').at, 7, 'bad escape');
    assert.equal(position('{"a":"\\u12G4"}').at, 10, 'bad \\u digit');
    assert.equal(position('{"a":01}').at, 6, 'leading zero');
    assert.equal(position('{} x').at, 3, 'trailing text');
  });

  test('line and column for multi-line input', () => {
    const p = position('{\n  "accounts": [\n    "a",\n    "b"\n  ,]\n}');
    assert.deepEqual([p.line, p.column], [5, 4]);
    assert.match(p.message, /^--input is not valid JSON: .* at line 5, column 4 \(position \d+\)$/);
  });

  test('valid JSON parses as JSON.parse does', () => {
    assert.deepEqual(parseJson('{"a":[1,2.5e3,"\\u00e9",null,true]}', 'x'), { a: [1, 2500, 'é', null, true] });
  });
});

describe('readWorkflowInput', () => {
  test('--input and --input-file are objects; both at once is refused', () => {
    assert.deepEqual(readWorkflowInput({ input: '{"services":["api"]}' }), { services: ['api'] });
    assert.deepEqual(readWorkflowInput({ inputFile: file('in.json', '{"timeoutMs": 500}') }), { timeoutMs: 500 });
    assert.deepEqual(readWorkflowInput({}), {});
    assert.throws(() => readWorkflowInput({ input: '{}', inputFile: 'x' }), /either --input or --input-file, not both/);
    assert.throws(() => readWorkflowInput({ input: '[1]' }), /--input must be a JSON object .* got an array/);
    assert.throws(() => readWorkflowInput({ input: 'null' }), /got null/);
  });

  test('a bad input file is named with the position', () => {
    const bad = file('bad.json', '{\n  "a": 1\n  "b": 2\n}');
    assert.throws(
      () => readWorkflowInput({ inputFile: bad }),
      (err: unknown) =>
        err instanceof InvalidJsonError && err.source === `--input-file ${bad}` && err.line === 3 && err.column === 3,
    );
    assert.throws(
      () => readWorkflowInput({ inputFile: join(dir, 'missing.json') }),
      /--input-file: cannot read .*missing\.json \(ENOENT\)/,
    );
  });

  test('--accounts: one per line (blank lines and # comments skipped) or a JSON array, merged as accountIds', () => {
    const lines = file('accounts.txt', '# seed accounts\nacc_1\n\n  acc_2  \r\nacc_3\n');
    assert.deepEqual(readWorkflowInput({ input: '{"batchSize": 2}', accountsFile: lines }), {
      batchSize: 2,
      accountIds: ['acc_1', 'acc_2', 'acc_3'],
    });
    assert.deepEqual(readWorkflowInput({ accountsFile: file('accounts.json', '["x", "y"]') }), {
      accountIds: ['x', 'y'],
    });
    assert.throws(() => readWorkflowInput({ accountsFile: file('nums.json', '[1, 2]') }), /array of non-empty strings/);
    assert.throws(() => readWorkflowInput({ accountsFile: file('empty.txt', '# nothing\n\n') }), /no account IDs/);
    assert.throws(
      () => readWorkflowInput({ input: '{"accountIds": ["z"]}', accountsFile: lines }),
      /both name the accounts/,
    );
    assert.throws(() => readWorkflowInput({ accountsFile: file('broken.json', '["x",]') }), InvalidJsonError);
    // The workflow's account ID rule, named by line (or index), before anything is sent.
    assert.throws(
      () => readWorkflowInput({ accountsFile: file('dots.txt', 'ok-1\n# c\n..\n') }),
      /--accounts .*dots\.txt:3: "\.\." is not an account ID \(1-64 of A-Z a-z 0-9 _ \. -\)/,
    );
    assert.throws(
      () => readWorkflowInput({ accountsFile: file('urls.json', '["ok", "http://x/y"]') }),
      /urls\.json: \[1\]: "http:\/\/x\/y" is not an account ID/,
    );
  });
});

describe('names, durations and links', () => {
  test('workflows by short name or type; anything else lists the short names', () => {
    assert.deepEqual(resolveWorkflow('scrape'), { name: 'scrape', type: 'scrapeAccountsWorkflow' });
    assert.deepEqual(resolveWorkflow('healthCheckWorkflow'), { name: 'health', type: 'healthCheckWorkflow' });
    assert.throws(
      () => resolveWorkflow('scraper'),
      (err: unknown) =>
        err instanceof UnknownWorkflowError &&
        err.message ===
          'unknown workflow "scraper"; valid workflows: pipeline, scrape, patterns, bandit, metrics, health (or their full type names)',
    );
  });

  test('durations are whole numbers with units', () => {
    assert.equal(parseDuration('30s', 'x'), 30_000);
    assert.equal(parseDuration('1h30m', 'x'), 5_400_000);
    assert.equal(parseDuration('250ms', 'x'), 250);
    for (const bad of ['30', '1.5h', '5 minutes', 's', '', '10s5'])
      assert.throws(() => parseDuration(bad, '--jitter'), InvalidDurationError, bad);
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(90_500), '1m30s500ms');
  });

  test('Web UI links encode the IDs', () => {
    assert.equal(
      workflowLink('http://localhost:8233/', 'default', 'a b/c', 'r1'),
      'http://localhost:8233/namespaces/default/workflows/a%20b%2Fc/r1/history',
    );
  });
});

describe('the CLI rejects bad usage before connecting', () => {
  /** A port nobody listens on: were the CLI to connect, it would fail with EXIT.unreachable instead. */
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const port = await freePort();
    const started = Date.now();
    const code = await runCli(['node', 'viralflow', ...args], {
      env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}` },
      streams: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) },
    });
    return { code, stdout: out.join(''), stderr: err.join(''), ms: Date.now() - started };
  };

  test('an invalid cron: exit 2, the field and value named, no connection attempted', async () => {
    const r = await run('schedule', 'create', 'nightly', '--workflow', 'health', '--cron', '0 25 * * *');
    assert.equal(r.code, EXIT.usage);
    assert.equal(r.stderr, 'viralflow: invalid cron "0 25 * * *": hour field "25": 25 is out of range 0-23\n');
    assert.equal(r.stdout, '');
    assert.ok(r.ms < 1_000, `answered in ${r.ms} ms, without waiting on a connection`);
  });

  test('a bad jitter, zone or overlap policy on create, and a bad cron on update', async () => {
    assert.match(
      (await run('schedule', 'create', 's', '--workflow', 'health', '--cron', '@daily', '--jitter', '30')).stderr,
      /--jitter: "30" is not a duration/,
    );
    assert.match(
      (await run('schedule', 'create', 's', '--workflow', 'health', '--cron', '@daily', '--timezone', 'Mars/Base'))
        .stderr,
      /unknown time zone "Mars\/Base"/,
    );
    const overlap = await run(
      'schedule',
      'create',
      's',
      '--workflow',
      'health',
      '--cron',
      '@daily',
      '--overlap',
      'sometimes',
    );
    assert.equal(overlap.code, EXIT.usage);
    assert.match(
      overlap.stderr,
      /option '--overlap <policy>' argument 'sometimes' is invalid\. expected one of skip, buffer-one/,
    );
    const update = await run('schedule', 'update', 's', '--cron', '@sometimes');
    assert.equal(update.code, EXIT.usage);
    assert.match(update.stderr, /"@sometimes" is not a shorthand Temporal accepts/);
  });

  test('an unknown workflow or bad JSON on start: exit 2 before connecting', async () => {
    const unknown = await run('start', 'scraper');
    assert.equal(unknown.code, EXIT.usage);
    assert.match(
      unknown.stderr,
      /unknown workflow "scraper"; valid workflows: pipeline, scrape, patterns, bandit, metrics, health/,
    );
    const json = await run('start', 'health', '--input', '{"services": [api]}');
    assert.equal(json.code, EXIT.usage);
    assert.match(
      json.stderr,
      /--input is not valid JSON: unexpected "a" where a value was expected at line 1, column 15 \(position 14\)/,
    );
  });

  test('bandit record needs exactly one of --success and --failure', async () => {
    const both = await run('bandit', 'record', 'exp', '--variant', 'A', '--success', '--failure');
    assert.equal(both.code, EXIT.usage);
    assert.match(both.stderr, /exactly one of --success or --failure/);
    assert.equal(
      (await run('bandit', 'record', 'exp', '--variant', 'A', '--success', '--count', '0')).code,
      EXIT.usage,
    );
  });

  test('bandit record refuses an experiment ID the publish activity would refuse (`..` would be the entity bandit-..), and a bad variant, before connecting', async () => {
    for (const experiment of ['..', '.', 'a/b', 'no spaces!', '%2e%2e', 'x'.repeat(129)]) {
      const r = await run('bandit', 'record', experiment, '--variant', 'A', '--success');
      assert.equal(r.code, EXIT.usage, `${experiment}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /could not start: invalid banditWorkflow input: experimentId: must be 1-128 of A-Z a-z 0-9 _ \. - \(and not "\." or "\.\."\)/,
        experiment,
      );
    }
    for (const variant of ['../x', 'a b', '__proto__', 'x'.repeat(129)]) {
      const r = await run('bandit', 'record', 'exp', '--variant', variant, '--success');
      assert.equal(r.code, EXIT.usage, `${variant}: ${r.stderr}`);
      assert.match(r.stderr, /invalid outcome: variant: must be 1-128 of A-Z a-z 0-9 _ \. : -/, variant);
    }
    // Valid names get past the checks: the CLI goes on to connect (and finds nobody listening).
    for (const [experiment, variant] of [
      ['exp.1', 'call-to-action'],
      ['..a', 'v:2'],
    ]) {
      assert.equal(
        (await run('bandit', 'record', experiment!, '--variant', variant!, '--success')).code,
        EXIT.unreachable,
        `${experiment} ${variant}`,
      );
    }
  });

  test('an unreachable server is exit 3, naming the address tried', async () => {
    const r = await run('list');
    assert.equal(r.code, EXIT.unreachable);
    assert.match(r.stderr, /^viralflow: cannot reach the Temporal server at 127\.0\.0\.1:\d+ /);
    assert.ok(r.ms < 8_000, `gave up after ${r.ms} ms`);
  });

  test('UsageError is the base of every input mistake', () => {
    assert.ok(new UnknownWorkflowError('x', []) instanceof UsageError);
    assert.ok(new InvalidDurationError('x', 'y') instanceof UsageError);
  });
});

describe('every command group prints through the streams it is given', () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['node', 'viralflow', ...args], {
      env,
      streams: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) },
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  test('help of a command in each group: exit 0, on the given stdout', async () => {
    for (const args of [['worker'], ['start'], ['bandit', 'show'], ['schedule', 'list']]) {
      const r = await run([...args, '--help']);
      assert.equal(r.code, EXIT.ok, args.join(' '));
      assert.match(r.stdout, new RegExp(`^Usage: viralflow ${args.join(' ')} `), args.join(' '));
      assert.equal(r.stderr, '');
    }
  });

  test('a usage error in a nested command: exit 2, message and help on the given stderr', async () => {
    const r = await run(['bandit', 'record', 'exp', '--success']);
    assert.equal(r.code, EXIT.usage);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^error: required option '--variant <variant>' not specified\n\nUsage: viralflow bandit record /,
    );
  });

  test('temporal-cli prints the resolved path on the given stdout', async () => {
    const r = await run(['temporal-cli'], { TEMPORAL_CLI_PATH: process.execPath });
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.equal(r.stdout, `${process.execPath}\t(TEMPORAL_CLI_PATH)\n`);
  });
});
