/**
 * Secrets: upstream tokens (from the environment and from a *_FILE), a Temporal API key and the results
 * store's database password (from VIRALFLOW_DATABASE_PASSWORD_FILE, and in a URL) given to a worker process must never show up in workflow histories, the worker's logs, its metrics (ours and the
 * SDK's), or error messages, even when an upstream echoes the token back in an error body. And the
 * connection to Temporal can be secured: TLS + mTLS end to end, through a TLS-terminating front for the
 * dev server (which has no TLS of its own), for the client library, the CLI and a worker process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { EXIT } from '../../src/cli';
import { openTemporal } from '../../src/client/connect';
import { TemporalUnreachableError } from '../../src/temporal/connection-error';
import { freePort } from '../../src/temporal/dev-server';
import { banditWorkflowId, publishNowUpdate, stopSignal } from '../../src/workflows/bandit-api';
import { healthCheckWorkflow } from '../../src/workflows/health-check';
import { viralPipelineWorkflow } from '../../src/workflows/pipeline';
import { scrapeAccountsWorkflow } from '../../src/workflows/scrape';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startProcessEnv, type ProcessEnv } from '../helpers/process-env';
import { makeTestPki, SERVER_NAME, type TestPki } from '../helpers/tls-certs';
import { startTlsProxy, type TlsProxy } from '../helpers/tls-proxy';
import { json, viralflow } from '../helpers/viralflow-cli';
import type { WorkerProcess } from '../helpers/worker-process';

/** Random first: an error message that quotes a truncated excerpt (V8's JSON errors show 10 characters) shows random characters. */
const distinct = (label: string) => `k${randomBytes(12).toString('hex')}-${label}`;

/**
 * The third-party APIs as seen by the worker: the simulator behind a front that records the
 * Authorization header of every request, and for some accounts answers the way careless real APIs
 * do, echoing the credentials back in the error body.
 */
async function startEchoingUpstream(simUrl: string) {
  const seen: Record<string, Set<string>> = {};
  const server: Server = createServer((req, res) => {
    void (async () => {
      const auth = req.headers.authorization ?? '(none)';
      const path = req.url ?? '/';
      (seen[path.split('/')[1] ?? ''] ??= new Set()).add(auth);
      const body = await readBody(req);
      const answer = (status: number, text: string) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      if (/^\/social\/accounts\/echo400-/.test(path))
        return answer(400, JSON.stringify({ error: `bad request from ${auth}` }));
      if (/^\/social\/accounts\/echo401-/.test(path))
        return answer(401, JSON.stringify({ error: `credentials ${auth} revoked` }));
      if (/^\/social\/accounts\/echo503-/.test(path)) return answer(503, `overloaded; dropped request with ${auth}`);
      if (/^\/social\/accounts\/echojson-[^/]+\/posts/.test(path)) return answer(200, `${auth} is not allowed here`);
      // A 200 that is not JSON and starts with the bare token: JSON.parse's error quotes the start of the body.
      if (req.method === 'PUT' && path.startsWith('/experiments/'))
        return answer(200, `${auth.replace(/^Bearer /, '')} may not publish`);
      const upstream = await fetch(`${simUrl}${path}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        ...(body.length && { body }),
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('secrets never leak: histories, logs, metrics, error messages', () => {
  let t: ProcessEnv;
  let db: TestDatabase;
  let upstream: Awaited<ReturnType<typeof startEchoingUpstream>>;
  let worker: WorkerProcess;
  let refusedWorkerOutput = '';
  let sdkMetricsPort: number;
  const tokens = {
    social: distinct('SOCIAL'),
    engine: distinct('ENGINE'),
    experiments: distinct('EXPERIMENTS'),
    temporalApiKey: distinct('APIKEY'),
    databasePassword: distinct('DBPASSWORD'),
    wrongDatabasePassword: distinct('WRONGDBPW'),
  };

  before(async () => {
    t = await startProcessEnv({ sim: { seed: 3, postsPerAccount: 10 } });
    // The results store on a real PostgreSQL, its role's password a secret like the tokens.
    db = await startTestDatabase();
    await db.admin(`ALTER ROLE ${db.role} PASSWORD '${tokens.databasePassword}'`, [], 'postgres');
    const databasePasswordFile = join(t.dataDir, 'db-password');
    writeFileSync(databasePasswordFile, `${tokens.databasePassword}\n`, { mode: 0o600 });
    const databaseUrl = `postgres://${db.role}@${db.pg.host}:${db.pg.port}/viralflow`;
    upstream = await startEchoingUpstream(t.sim.url);
    const engineTokenFile = join(t.dataDir, 'engine-token');
    writeFileSync(engineTokenFile, `${tokens.engine}\n`, { mode: 0o600 });
    sdkMetricsPort = await freePort();
    worker = await t.startWorker({
      VIRALFLOW_SOCIAL_URL: `${upstream.url}/social`,
      VIRALFLOW_ENGINE_URL: `${upstream.url}/engine`,
      VIRALFLOW_EXPERIMENTS_URL: `${upstream.url}/experiments`,
      VIRALFLOW_SOCIAL_TOKEN: tokens.social,
      VIRALFLOW_ENGINE_TOKEN_FILE: engineTokenFile,
      VIRALFLOW_EXPERIMENTS_TOKEN: tokens.experiments,
      // The dev server ignores an API key; sent in plaintext here only because TEMPORAL_TLS=false says so.
      TEMPORAL_API_KEY: tokens.temporalApiKey,
      TEMPORAL_TLS: 'false',
      TEMPORAL_METRICS_PORT: String(sdkMetricsPort),
      VIRALFLOW_DATABASE_URL: databaseUrl,
      VIRALFLOW_DATABASE_PASSWORD_FILE: databasePasswordFile,
    });
    // A worker given a wrong password inside the URL: it must refuse to start without echoing it.
    await assert.rejects(
      t.startWorker({
        VIRALFLOW_DATABASE_URL: `postgres://${db.role}:${tokens.wrongDatabasePassword}@${db.pg.host}:${db.pg.port}/viralflow`,
      }),
      (err: unknown) => {
        refusedWorkerOutput = err instanceof Error ? err.message : String(err);
        assert.match(refusedWorkerOutput, /worker process exited \(1\) before it was ready/);
        assert.match(refusedWorkerOutput, /password authentication failed/);
        return true;
      },
    );
  });
  after(async () => {
    await t?.close();
    await db?.close();
    await upstream?.close();
  });

  const run = <I, R>(workflowId: string, workflow: (input: I) => Promise<R>, input: I) =>
    t.client.workflow.execute(workflow, { taskQueue: t.taskQueue, workflowId, args: [input] });

  test(
    'after runs whose upstream calls fail with the token echoed back, no token appears anywhere',
    { timeout: 90_000 },
    async () => {
      const pipeline = await run('secret-pipeline', viralPipelineWorkflow, {
        accountIds: ['ok-0', 'ok-1', 'echo400-0', 'echojson-0'],
        experimentId: 'exp-echo',
        pageSize: 5,
        retry: { initialInterval: '100ms', maximumAttempts: 2 },
      });
      assert.equal(pipeline.scrape?.scraped, 2);
      const reasons = Object.fromEntries(pipeline.scrape!.failed.map((f) => [f.accountId, f.reason]));
      // The echoed body did reach the worker, and was redacted before it went into the result.
      assert.match(reasons['echo400-0'] ?? '', /HTTP 400: \{"error":"bad request from Bearer \[redacted\]"\}/);
      assert.match(reasons['echojson-0'] ?? '', /malformed response: body is not JSON/);
      assert.ok(pipeline.patterns && pipeline.patterns.posts > 0, 'the engine (engine token) answered');
      // The posts went through the PostgreSQL store (the database password in use).
      const [stored] = await db.admin<{ n: string }>(
        "SELECT count(*) AS n FROM posts WHERE run_key = 'secret-pipeline'",
      );
      assert.equal(Number(stored?.n), pipeline.scrape?.posts);
      assert.ok(Number(stored?.n) > 0);

      // Publishing weights fails: the experiments API answers its token back in a body that is not JSON.
      const bandit = t.client.workflow.getHandle(banditWorkflowId('exp-echo'));
      await assert.rejects(bandit.executeUpdate(publishNowUpdate), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError);
        const chain: string[] = [];
        for (let cur: unknown = err; cur instanceof Error; cur = cur.cause) chain.push(cur.message);
        assert.match(
          chain.join(' <- '),
          /malformed response: body is not JSON .* <- Unexpected token '\w' \(not valid JSON\)/,
        );
        return true;
      });
      await bandit.signal(stopSignal);
      await bandit.result();

      const retried = await run('secret-503', scrapeAccountsWorkflow, {
        accountIds: ['echo503-0'],
        retry: { initialInterval: '100ms', maximumAttempts: 2 },
      });
      assert.match(retried.failed[0]?.reason ?? '', /HTTP 503: overloaded; dropped request with Bearer \[redacted\]/);
      const revoked = await run('secret-401', scrapeAccountsWorkflow, { accountIds: ['echo401-0', 'ok-2'] });
      assert.match(revoked.failed[0]?.reason ?? '', /HTTP 401: .*credentials Bearer \[redacted\] revoked/);

      // The tokens were really in use: every upstream saw its own.
      assert.deepEqual([...(upstream.seen.social ?? [])], [`Bearer ${tokens.social}`]);
      assert.deepEqual([...(upstream.seen.engine ?? [])], [`Bearer ${tokens.engine}`]);
      assert.deepEqual([...(upstream.seen.experiments ?? [])], [`Bearer ${tokens.experiments}`]);

      // Everything a token could leak into.
      const ids = new Set([
        'secret-pipeline',
        'secret-pipeline/scrape',
        'secret-pipeline/patterns',
        banditWorkflowId('exp-echo'),
        'secret-503',
        'secret-401',
      ]);
      for await (const w of t.client.workflow.list()) ids.add(w.workflowId);
      const histories = await Promise.all(
        [...ids].map(async (id) => historyToJSON(await t.client.workflow.getHandle(id).fetchHistory())),
      );
      const places: Record<string, string> = {
        [`${ids.size} workflow histories`]: histories.join('\n'),
        'worker stdout+stderr': worker.output(),
        'refused worker stdout+stderr': refusedWorkerOutput,
        'viralflow /metrics': await (await fetch(worker.metricsUrl)).text(),
        'SDK /metrics': await (await fetch(`http://127.0.0.1:${sdkMetricsPort}/metrics`)).text(),
      };
      assert.match(places[`${ids.size} workflow histories`]!, /\[redacted\]/, 'the histories hold the redacted echoes');
      assert.match(
        places['worker stdout+stderr']!,
        /Activity failed|activity failed/i,
        'the worker logged the failed attempts',
      );
      assert.match(
        places['viralflow /metrics']!,
        /viralflow_http_requests_total\{origin="http:\/\/127\.0\.0\.1:\d+",status="400"\}/,
      );
      assert.match(places['SDK /metrics']!, /temporal_/);
      for (const [where, text] of Object.entries(places)) {
        for (const [name, token] of Object.entries(tokens)) {
          assert.ok(!text.includes(token), `the ${name} token appears in ${where}`);
          // Not even its first 10 characters (the excerpt V8 quotes in a JSON.parse error).
          assert.ok(!text.includes(token.slice(0, 10)), `the start of the ${name} token appears in ${where}`);
        }
      }
      assert.match(places['viralflow /metrics']!, /viralflow_store_/, 'the store reports its metrics');
      console.log(
        `secrets: grepped ${ids.size} histories (${histories.join('').length} chars), ${worker.output().length} chars of worker logs and both /metrics endpoints: no token, no database password`,
      );
    },
  );
});

describe('connecting to a secured Temporal: TLS + mTLS end to end', () => {
  let t: ProcessEnv;
  let pki: TestPki;
  let proxy: TlsProxy;
  let tlsEnv: Record<string, string>;

  before(async () => {
    t = await startProcessEnv();
    pki = makeTestPki();
    proxy = await startTlsProxy({
      target: t.server.address,
      cert: pki.serverCert,
      key: pki.serverKey,
      clientCa: pki.caCert,
    });
    tlsEnv = {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CA: pki.caCert,
      TEMPORAL_TLS_CERT: pki.clientCert,
      TEMPORAL_TLS_KEY: pki.clientKey,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    };
  });
  after(async () => {
    await t?.close();
    await proxy?.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  test(
    'a worker process, the client library and the CLI all go through mTLS; wrong or missing credentials are refused',
    { timeout: 90_000 },
    async () => {
      const worker = await t.startWorker({ ...tlsEnv, VIRALFLOW_TASK_QUEUE: `${t.taskQueue}-tls` });
      assert.match(
        worker.output(),
        new RegExp(`mTLS \\(client certificate ${pki.clientCert.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\), CA `),
      );
      const session = await openTemporal({ env: { ...tlsEnv, VIRALFLOW_TASK_QUEUE: `${t.taskQueue}-tls` } });
      try {
        const report = await session.client.workflow.execute(healthCheckWorkflow, {
          taskQueue: session.taskQueue,
          workflowId: 'tls-health',
          args: [{ services: ['api'] }],
        });
        assert.deepEqual(report.available, ['api']);
      } finally {
        await session.close();
      }
      const described = await viralflow(['describe', 'tls-health', '--json'], tlsEnv);
      assert.equal(json(described).status, 'COMPLETED', described.stderr);
      assert.ok(proxy.accepted.length >= 3, 'worker, client and CLI connections came through the TLS front');
      assert.deepEqual(
        [...new Set(proxy.accepted.map((a) => a.clientCn))],
        ['worker-client'],
        'every connection presented the client certificate',
      );

      // Refused: no client certificate; a client certificate from another CA; no CA (the system roots do not know ours).
      const attempt = (env: Record<string, string>) =>
        openTemporal({ env, connectTimeoutMs: 2_000 }).then(
          (s) => s.close().then(() => 'connected'),
          (err: unknown) => err,
        );
      const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...noClientCert } = tlsEnv;
      const outcomes = await Promise.all([
        attempt(noClientCert),
        attempt({ ...tlsEnv, TEMPORAL_TLS_CERT: pki.otherClientCert, TEMPORAL_TLS_KEY: pki.otherClientKey }),
        attempt({ ...tlsEnv, TEMPORAL_TLS_CA: '' }),
        attempt({ TEMPORAL_ADDRESS: proxy.address }), // plaintext against TLS
      ]);
      for (const outcome of outcomes) {
        assert.ok(outcome instanceof TemporalUnreachableError, `expected to be refused, got ${String(outcome)}`);
        assert.match(outcome.message, new RegExp(`cannot reach the Temporal server at ${proxy.address}`));
      }
      assert.ok(proxy.refused.length >= 2, `the TLS front refused handshakes: ${proxy.refused.join('; ')}`);
    },
  );

  test(
    "Temporal's standard names and a TOML profile work the same; an unknown TEMPORAL_TLS_* is refused before connecting",
    { timeout: 90_000 },
    async () => {
      const standardEnv = {
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
        TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
        TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
      };
      const configFile = join(pki.dir, 'temporal.toml');
      writeFileSync(
        configFile,
        [
          '[profile.default]', // not selected: were it used, nothing would connect
          'address = "127.0.0.1:1"',
          '[profile.secure]',
          `address = "${proxy.address}"`,
          '[profile.secure.tls]',
          `client_cert_path = "${pki.clientCert}"`,
          `client_key_path = "${pki.clientKey}"`,
          `server_ca_cert_path = "${pki.caCert}"`,
          `server_name = "${SERVER_NAME}"`,
          '',
        ].join('\n'),
      );
      // TEMPORAL_ADDRESS empty counts as unset, so the profile's address is the one used.
      const profileEnv = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'secure', TEMPORAL_ADDRESS: '' };
      const taskQueue = `${t.taskQueue}-profile`;
      const acceptedBefore = proxy.accepted.length;

      // A worker process configured by the profile alone, …
      const worker = await t.startWorker({ ...profileEnv, VIRALFLOW_TASK_QUEUE: taskQueue });
      assert.match(
        worker.output(),
        new RegExp(
          `Temporal ${proxy.address} \\(mTLS \\(client certificate .*\\), CA .*, merged with profile "secure" in `,
        ),
      );
      // … the CLI with the standard variables running a workflow on it, …
      const started = await viralflow(
        ['start', 'health', '--id', 'tls-standard', '--input', '{"services":["api"]}', '--wait', '--json'],
        {
          ...standardEnv,
          VIRALFLOW_TASK_QUEUE: taskQueue,
        },
      );
      assert.equal(json(started).status, 'COMPLETED', started.stderr);
      // … the CLI with the profile, …
      const described = await viralflow(['describe', 'tls-standard', '--json'], profileEnv);
      assert.equal(json(described).status, 'COMPLETED', described.stderr);
      // … and the client library with inline PEMs.
      const pem = (file: string) => readFileSync(file, 'utf8');
      const session = await openTemporal({
        env: {
          TEMPORAL_ADDRESS: proxy.address,
          TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem(pki.caCert),
          TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert),
          TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.clientKey),
          TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
        },
      });
      try {
        assert.equal((await session.client.workflow.getHandle('tls-standard').describe()).status.name, 'COMPLETED');
      } finally {
        await session.close();
      }
      const accepted = proxy.accepted.slice(acceptedBefore);
      assert.ok(
        accepted.length >= 4,
        `worker, two CLI runs and the client came through the TLS front (${accepted.length})`,
      );
      assert.deepEqual(
        [...new Set(accepted.map((a) => a.clientCn))],
        ['worker-client'],
        'every connection presented the client certificate',
      );

      // The names a user might guess instead: refused with the right one named, nothing sent.
      const acceptedBeforeTypo = proxy.accepted.length;
      const typo = await viralflow(['describe', 'tls-standard'], {
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
        TEMPORAL_TLS_CLIENT_CERT: pki.clientCert,
        TEMPORAL_TLS_CLIENT_KEY: pki.clientKey,
      });
      assert.equal(typo.code, EXIT.usage, typo.stderr);
      assert.match(
        typo.stderr,
        /TEMPORAL_TLS_CLIENT_CERT is not a Temporal connection setting; did you mean TEMPORAL_TLS_CLIENT_CERT_PATH\?/,
      );
      assert.equal(proxy.accepted.length, acceptedBeforeTypo, 'refused before connecting');
    },
  );
});
