/** Beta draws per second at each size, every implementation in its own child, numpy beside them. */
import { runChild } from '../child/run-child';
import type { SamplingResult, SamplingRow, SamplingSizeResult } from '../results-model';
import { numpyAvailable, runNumpyAnchor, PYTHON } from '../sampling/numpy-anchor';
import { SAMPLING_SIZES, SAMPLING_VARIANTS, samplingRuns } from '../scenarios/sampling';
import { summarize } from '../stats';
import type { SuiteOptions } from './operators';

export async function runSamplingSuite(options: SuiteOptions): Promise<SamplingResult> {
  const sizes: SamplingSizeResult[] = [];
  let numpyVersion: string | undefined;
  let numpyError: string | undefined = numpyAvailable() ? undefined : `${PYTHON} not found`;
  for (const size of SAMPLING_SIZES) {
    const draws = size.variants * size.draws;
    const rows: SamplingRow[] = [];
    for (const plan of SAMPLING_VARIANTS) {
      const child = await runChild(
        {
          scenario: 'sampling',
          variant: plan.variant,
          params: { variants: size.variants, draws: size.draws },
          simUrl: '',
          dataDir: options.dataDir,
          ...samplingRuns(options.quick, plan.variant),
        },
        () => undefined,
      );
      const wallMs = summarize(child.wallMs);
      rows.push({
        variant: plan.variant,
        label: plan.label,
        work: plan.work,
        wallMs,
        drawsPerSecond: draws / (wallMs.min / 1000),
        drawsPerSecondP50: draws / (wallMs.p50 / 1000),
        peakRssMB: child.peakRssBytes / (1024 * 1024),
      });
      options.log(
        `  sampling ${size.variants} variants/${plan.variant}: ${(draws / (wallMs.min / 1000) / 1e6).toFixed(1)} M draws/s best, ${(draws / (wallMs.p50 / 1000) / 1e6).toFixed(1)} p50`,
      );
    }
    let numpy: SamplingSizeResult['numpy'];
    if (numpyError === undefined) {
      try {
        const t = await runNumpyAnchor(
          size.variants,
          size.draws,
          options.quick ? { budgetSeconds: 0.2, minReps: 1 } : { budgetSeconds: 1, minReps: 3 },
        );
        numpyVersion = t.numpy;
        const perDraw = summarize(t.perDrawSeconds);
        const matrix = summarize(t.matrixSeconds);
        numpy = {
          perDrawDrawsPerSecond: draws / perDraw.min,
          matrixDrawsPerSecond: draws / matrix.min,
          perDrawDrawsPerSecondP50: draws / perDraw.p50,
          matrixDrawsPerSecondP50: draws / matrix.p50,
          perDrawSeconds: perDraw,
          matrixSeconds: matrix,
        };
        options.log(
          `  sampling ${size.variants} variants/numpy (best): ${(numpy.perDrawDrawsPerSecond / 1e6).toFixed(1)} M/s per draw, ${(numpy.matrixDrawsPerSecond / 1e6).toFixed(1)} M/s one call`,
        );
      } catch (err) {
        numpyError = err instanceof Error ? err.message : String(err);
      }
    }
    sizes.push({ ...size, rows, ...(numpy && { numpy }) });
  }
  return {
    sizes,
    ...(numpyVersion !== undefined && { numpyVersion }),
    ...(numpyError !== undefined && { numpyError }),
  };
}
