import { checkOutcomeRequest } from '../client/bandit';
import { parseDuration } from '../client/duration';
import { UsageError } from '../client/errors';
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
      .option('--timeout <duration>', 'how long to wait for the entity to answer', '30s'),
  ).action(async (experiment, opts) => {
    if (Boolean(opts.success) === Boolean(opts.failure))
      throw new UsageError('give exactly one of --success or --failure');
    const outcome = { variant: opts.variant, ...(opts.success ? { successes: opts.count } : { failures: opts.count }) };
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    checkOutcomeRequest(experiment, outcome);
    await ctx.withClient(async (vf) => {
      const p = await vf.recordOutcome(experiment, outcome, { timeoutMs });
      ctx
        .output(opts)
        .result(
          { experimentId: experiment, posterior: p },
          () =>
            `${experiment}/${p.variant}: ${p.successes} successes, ${p.failures} failures -> ` +
            `Beta(${p.alpha}, ${p.beta}), mean ${p.mean.toFixed(3)}`,
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

  return bandit;
}
