import { InvalidArgumentError } from '@commander-js/extra-typings';
import { DoctorFailedError, runDoctor, type DoctorReport } from '../doctor/doctor';
import { withJson, type CommandContext } from './context';

const MARK = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

/** `viralflow doctor`: every check in order, what to fix for each failure; exit 0 only when none failed. */
export function doctorCommand(ctx: CommandContext) {
  return withJson(
    ctx
      .command('doctor')
      .description(
        'check the Temporal server, namespace, search attributes, workers, upstreams, results store and Redis, and say what to fix',
      )
      .option('--timeout-ms <ms>', 'deadline for each network call', milliseconds, 3_000),
  ).action(async (opts) => {
    const report = await runDoctor({ env: ctx.env ?? process.env, timeoutMs: opts.timeoutMs });
    ctx.output(opts).result(report, () => doctorText(report));
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    if (failed.length) throw new DoctorFailedError(failed);
  });
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 120_000)
    throw new InvalidArgumentError('expected whole milliseconds from 10 to 120000');
  return n;
}

function doctorText(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = report.checks.flatMap((c) => [
    `${MARK[c.status]}  ${c.title.padEnd(width)}  ${c.detail}`,
    ...(c.fix ? [`${' '.repeat(6 + width)}  fix: ${c.fix}`] : []),
  ]);
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push(report.ok ? 'All checks passed.' : `${failed} check(s) failed.`);
  return lines.join('\n');
}
