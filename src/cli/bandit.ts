import { randomUUID } from 'node:crypto';
import { checkOutcomeRequest } from '../client/bandit';
import { parseDuration } from '../client/duration';
import { EvidenceMismatchError, UsageError } from '../client/errors';
import { table } from '../client/output';
import { positiveInteger, withJson, type CommandContext } from './context';

/** `bandit record|show`: the Thompson-sampling entity of an experiment. */
export function banditCommand(ctx: CommandContext) {
  const bandit = ctx
    .command('bandit')
    .description('the Thompson-sampling entity of an experiment (one workflow per experiment)');

  withJson(
    bandit
      .command('record')
      .argument('<experiment>')
      .description(
        "record outcomes for a variant (creates the experiment's entity on first use); prints the new posterior",
      )
      .requiredOption('--variant <variant>', 'the variant the outcome is for')
      .option('--success', 'the outcome was a success')
      .option('--failure', 'the outcome was a failure')
      .option('--count <n>', 'how many such outcomes', positiveInteger, 1)
      .option(
        '--id <id>',
        "the outcome's ID in the experiment's evidence: recording the same ID again counts it once (default: a new ID)",
      )
      .option('--timeout <duration>', 'how long to wait for the entity to answer', '30s'),
  ).action(async (experiment, opts) => {
    if (Boolean(opts.success) === Boolean(opts.failure))
      throw new UsageError('give exactly one of --success or --failure');
    const outcome = {
      id: opts.id ?? randomUUID(),
      variant: opts.variant,
      ...(opts.success ? { successes: opts.count } : { failures: opts.count }),
    };
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    checkOutcomeRequest(experiment, outcome);
    await ctx.withClient(async (vf) => {
      const p = await vf.recordOutcome(experiment, outcome, { timeoutMs });
      ctx
        .output(opts)
        .result(
          { experimentId: experiment, outcomeId: outcome.id, posterior: p },
          () =>
            `${experiment}/${p.variant}: ${p.successes} successes, ${p.failures} failures -> ` +
            `Beta(${p.alpha}, ${p.beta}), mean ${p.mean.toFixed(3)} (outcome ${outcome.id})`,
        );
    });
  });

  withJson(
    bandit
      .command('show')
      .argument('<experiment>')
      .description('posteriors and the last computed weights of an experiment'),
  ).action(async (experiment, opts) => {
    await ctx.withClient(async (vf) => {
      const s = await vf.banditState(experiment);
      ctx.output(opts).result(s, () => {
        const rows = s.posteriors.map((p) => [
          p.variant,
          p.successes,
          p.failures,
          p.mean.toFixed(3),
          s.weights?.weights[p.variant]?.toFixed(3),
          s.weights?.probabilityBest[p.variant]?.toFixed(3),
        ]);
        const weights = s.weights
          ? `weights from ${s.weights.basedOnOutcomes} outcomes` +
            (s.weights.publishedVersion !== undefined
              ? `, published as version ${s.weights.publishedVersion}`
              : ', not published yet')
          : 'no weights computed yet';
        return `${table(['VARIANT', 'SUCCESSES', 'FAILURES', 'MEAN', 'WEIGHT', 'P(BEST)'], rows)}\n${weights}\nWeb UI: ${s.link}`;
      });
    });
  });

  withJson(
    bandit
      .command('recount')
      .argument('<experiment>')
      .description(
        "count the experiment's evidence in the results store and compare with the entity's totals; exit 1 (and have it read the ledger again) when they differ",
      ),
  ).action(async (experiment, opts) => {
    const ledger = await ctx.withStore((store) => store.evidenceTotals(experiment));
    await ctx.withClient(async (vf) => {
      const entity = await vf.banditEvidence(experiment);
      const variants = [...new Set([...Object.keys(ledger), ...Object.keys(entity?.totals ?? {})])].sort();
      const rows = variants.map((v) => {
        const l = ledger[v] ?? { successes: 0, failures: 0 };
        const e = entity?.totals[v] ?? { successes: 0, failures: 0 };
        return { variant: v, ledger: l, entity: e, agree: l.successes === e.successes && l.failures === e.failures };
      });
      const agree = rows.every((r) => r.agree);
      if (!agree) await vf.refreshBanditEvidence(experiment);
      ctx.output(opts).result({ experimentId: experiment, agree, variants: rows, base: entity?.base ?? {} }, () => {
        const lines = table(
          ['VARIANT', 'LEDGER S/F', 'ENTITY S/F', ''],
          rows.map((r) => [
            r.variant,
            `${r.ledger.successes}/${r.ledger.failures}`,
            `${r.entity.successes}/${r.entity.failures}`,
            r.agree ? 'agree' : 'DIFFER',
          ]),
        );
        return agree ? `${lines}\n${experiment}: the entity's evidence totals agree with the ledger` : lines;
      });
      if (!agree)
        throw new EvidenceMismatchError(
          experiment,
          rows.filter((r) => !r.agree).map((r) => r.variant),
        );
    });
  });

  return bandit;
}
