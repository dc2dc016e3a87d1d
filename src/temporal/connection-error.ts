/** Raised when the Temporal server cannot be reached; names the address that was tried. */
export class TemporalUnreachableError extends Error {
  constructor(
    readonly address: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot reach the Temporal server at ${address} (${(options.cause as Error)?.message ?? String(options.cause)}). ` +
        'Start one with `npm run dev` or `temporal server start-dev`, or set TEMPORAL_ADDRESS.',
      options,
    );
    this.name = 'TemporalUnreachableError';
  }
}
