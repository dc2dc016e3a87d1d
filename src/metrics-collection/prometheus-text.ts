/**
 * A parser for the Prometheus text exposition format 0.0.4, one line at a time.
 *
 * Hand-written: the only npm parser, parse-prometheus-text-format, has been unmaintained since
 * ~2019, builds a whole family tree, and reports bad input without line numbers; this one is ~200
 * lines, strict (a malformed line is an error naming it, never a silently dropped sample) and
 * allocates only the samples it returns.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PrometheusSample {
  /** The series name as written: histogram and summary series keep their _bucket/_sum/_count suffix. */
  name: string;
  /** Label values unescaped. Built with Object.fromEntries, so a label named __proto__ is just a label. */
  labels: Record<string, string>;
  /** May be NaN or ±Infinity. */
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestampMs?: number;
}

export interface PrometheusExposition {
  samples: PrometheusSample[];
  /** From `# TYPE` lines, by family name. */
  types: Map<string, MetricType>;
  /** From `# HELP` lines, by family name, unescaped. */
  help: Map<string, string>;
}

/** A line that is not valid exposition format; `line` is 1-based. */
export class PrometheusTextError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'PrometheusTextError';
  }
}

const TYPES: ReadonlySet<string> = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;

const isBlank = (c: number) => c === 0x20 || c === 0x09;
const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39);
/** Metric names also allow ':' (recording rules); label names do not. */
const isMetricStart = (c: number) => isNameStart(c) || c === 0x3a;
const isMetricChar = (c: number) => isNameChar(c) || c === 0x3a;

export function parsePrometheusText(text: string): PrometheusExposition {
  const samples: PrometheusSample[] = [];
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  let lineNo = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    // Tolerate CRLF: some exporters behind Windows proxies send it.
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    start = end + 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) parseComment(trimmed, lineNo, types, help);
    else samples.push(parseSample(trimmed, lineNo));
  }
  return { samples, types, help };
}

/** `# HELP name text`, `# TYPE name type`; any other comment is ignored, as the format says. */
function parseComment(line: string, lineNo: number, types: Map<string, MetricType>, help: Map<string, string>): void {
  const match = /^#[ \t]*(HELP|TYPE)(?:[ \t]+(.*))?$/.exec(line);
  if (!match) return;
  const [, keyword, rest = ''] = match;
  const fail = (reason: string) => new PrometheusTextError(lineNo, reason);
  const nameEnd = rest.search(/[ \t]|$/);
  const name = rest.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) throw fail(`# ${keyword} needs a valid metric name, got ${JSON.stringify(name)}`);
  const arg = rest.slice(nameEnd).replace(/^[ \t]+/, '');
  if (keyword === 'TYPE') {
    if (!TYPES.has(arg)) throw fail(`unknown metric type ${JSON.stringify(arg)} for ${name}`);
    if (types.has(name)) throw fail(`second # TYPE line for ${name}`);
    types.set(name, arg as MetricType);
  } else {
    if (help.has(name)) throw fail(`second # HELP line for ${name}`);
    // In HELP only \\ and \n are escapes; anything else after a backslash stays as written.
    help.set(
      name,
      arg.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')),
    );
  }
}

/** `name[{label="value",...}] value [timestamp]`, already trimmed. */
function parseSample(line: string, lineNo: number): PrometheusSample {
  const fail = (reason: string) => new PrometheusTextError(lineNo, reason);
  let i = 0;
  const skipBlanks = () => {
    while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  };

  if (!isMetricStart(line.charCodeAt(i)))
    throw fail(`expected a metric name, got ${JSON.stringify(line.slice(0, 20))}`);
  const nameStart = i++;
  while (i < line.length && isMetricChar(line.charCodeAt(i))) i++;
  const name = line.slice(nameStart, i);

  const pairs: Array<[string, string]> = [];
  const afterName = i;
  skipBlanks();
  if (i >= line.length) throw fail(`missing value for ${name}`);
  if (line.charCodeAt(i) === 0x7b /* { */) {
    i++;
    const seen = new Set<string>();
    for (;;) {
      skipBlanks();
      if (line.charCodeAt(i) === 0x7d /* } */) {
        i++;
        break;
      }
      if (!isNameStart(line.charCodeAt(i))) throw fail(`expected a label name or '}' at column ${i + 1}`);
      const labelStart = i++;
      while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
      const label = line.slice(labelStart, i);
      skipBlanks();
      if (line.charCodeAt(i) !== 0x3d /* = */) throw fail(`expected '=' after label ${label}`);
      i++;
      skipBlanks();
      if (line.charCodeAt(i) !== 0x22 /* " */) throw fail(`expected '"' to open the value of label ${label}`);
      i++;
      let value = '';
      let chunk = i;
      for (;;) {
        if (i >= line.length) throw fail(`unterminated value for label ${label}`);
        const c = line.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c /* \ */) {
          const next = line[i + 1];
          const unescaped = next === '\\' ? '\\' : next === '"' ? '"' : next === 'n' ? '\n' : undefined;
          if (unescaped === undefined) throw fail(`invalid escape \\${next ?? ''} in the value of label ${label}`);
          value += line.slice(chunk, i) + unescaped;
          i += 2;
          chunk = i;
        } else {
          i++;
        }
      }
      value += line.slice(chunk, i);
      i++; // the closing quote
      if (seen.has(label)) throw fail(`label ${label} appears twice`);
      seen.add(label);
      pairs.push([label, value]);
      skipBlanks();
      const c = line.charCodeAt(i);
      if (c === 0x2c /* , */) {
        i++;
        continue; // a trailing comma before '}' is allowed
      }
      if (c === 0x7d) {
        i++;
        break;
      }
      throw fail(`expected ',' or '}' after the value of label ${label}`);
    }
  } else if (i === afterName) {
    throw fail(`expected a blank or '{' after metric name ${name}`);
  }

  skipBlanks();
  const tokens = line.slice(i).split(/[ \t]+/);
  const [valueText = '', timestampText, ...extra] = tokens;
  if (valueText === '') throw fail(`missing value for ${name}`);
  const value = parseValue(valueText);
  if (value === undefined) throw fail(`invalid value ${JSON.stringify(valueText)} for ${name}`);
  if (extra.length > 0) throw fail(`unexpected ${JSON.stringify(extra.join(' '))} after the timestamp`);
  const sample: PrometheusSample = { name, labels: Object.fromEntries(pairs), value };
  if (timestampText !== undefined) {
    if (!INTEGER.test(timestampText)) throw fail(`invalid timestamp ${JSON.stringify(timestampText)} for ${name}`);
    sample.timestampMs = Number(timestampText);
  }
  return sample;
}

/** Go's ParseFloat, which Prometheus uses, less hex floats: decimals, NaN, ±Inf (any case). */
function parseValue(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}
