/**
 * How CLI commands print: `--json` gives one JSON document on stdout for scripts; otherwise text and
 * aligned tables for people. Progress and notes go to stderr either way, so stdout stays parseable.
 */

export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processStreams: CliStreams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export interface Output {
  readonly json: boolean;
  /** The command's result: `data` as JSON, or `human()`'s text. */
  result(data: unknown, human: () => string): void;
  /** A progress line on stderr. */
  progress(line: string): void;
}

export function createOutput(streams: CliStreams, json: boolean): Output {
  return {
    json,
    result(data, human) {
      const text = json ? JSON.stringify(data, null, 2) : human();
      streams.stdout(text.endsWith('\n') ? text : `${text}\n`);
    },
    progress(line) {
      streams.stderr(`${line}\n`);
    },
  };
}

type Cell = string | number | boolean | undefined | null;

/** Columns padded to their widest cell; empty cells shown as `-`. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = (c: Cell) => (c === undefined || c === null || c === '' ? '-' : String(c));
  const cells = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `key  value` lines, keys aligned; undefined values skipped. */
export function fields(entries: [string, Cell][]): string {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`).join('\n');
}
