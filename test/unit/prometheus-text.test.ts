import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText, PrometheusTextError } from '../../src/metrics-collection/prometheus-text';
import { prometheusText } from '../../src/sim/data';

/** Asserts that parsing fails with a PrometheusTextError on `line` whose message matches `reason`. */
function assertLineError(text: string, line: number, reason: RegExp): void {
  assert.throws(
    () => parsePrometheusText(text),
    (err: unknown) => {
      assert.ok(err instanceof PrometheusTextError, String(err));
      assert.equal(err.line, line, err.message);
      assert.match(err.message, new RegExp(`^line ${line}: `));
      assert.match(err.reason, reason);
      return true;
    },
  );
}

describe('parsePrometheusText', () => {
  test('HELP, TYPE, labels and values of a typical exposition', () => {
    const { samples, types, help } = parsePrometheusText(
      [
        '# HELP http_requests_total Total requests.',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="post",code="200"} 1027',
        'http_requests_total{method="post",code="400"}    3',
        '# TYPE queue_depth gauge',
        'queue_depth 12.5',
      ].join('\n'),
    );
    assert.deepEqual(samples, [
      { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027 },
      { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3 },
      { name: 'queue_depth', labels: {}, value: 12.5 },
    ]);
    assert.equal(types.get('http_requests_total'), 'counter');
    assert.equal(types.get('queue_depth'), 'gauge');
    assert.equal(help.get('http_requests_total'), 'Total requests.');
  });

  test('label values unescape \\\\, \\" and \\n; commas, braces and = inside quotes are data', () => {
    const { samples } = parsePrometheusText(
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9\n' +
        'odd{v="a,b}c=d{",w=""} 1\n',
    );
    assert.deepEqual(samples[0]?.labels, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    assert.equal(samples[0]?.value, 1.458255915e9);
    assert.deepEqual(samples[1]?.labels, { v: 'a,b}c=d{', w: '' });
  });

  test('NaN, +Inf and -Inf values, and the +Inf histogram bucket label', () => {
    const { samples } = parsePrometheusText(
      [
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1"} 3',
        'latency_seconds_bucket{le="+Inf"} 7',
        'latency_seconds_sum 1.5e-1',
        'latency_seconds_count 7',
        'weird_gauge NaN',
        'upper +Inf',
        'lower -Inf',
        'shouty Inf',
      ].join('\n'),
    );
    assert.equal(samples[1]?.labels.le, '+Inf');
    assert.equal(samples[1]?.value, 7);
    assert.equal(samples[2]?.value, 0.15);
    assert.ok(Number.isNaN(samples[4]?.value));
    assert.equal(samples[5]?.value, Number.POSITIVE_INFINITY);
    assert.equal(samples[6]?.value, Number.NEGATIVE_INFINITY);
    assert.equal(samples[7]?.value, Number.POSITIVE_INFINITY);
  });

  test('optional timestamps, including negative ones', () => {
    const { samples } = parsePrometheusText('a 1 1395066363000\nb{x="y"} 2 -1\nc 3\n');
    assert.equal(samples[0]?.timestampMs, 1395066363000);
    assert.equal(samples[1]?.timestampMs, -1);
    assert.equal(samples[2]?.timestampMs, undefined);
    assert.ok(!('timestampMs' in samples[2]!));
  });

  test('blank lines, other comments, CRLF, tabs, a trailing comma and ":" in names are fine', () => {
    const { samples, help } = parsePrometheusText(
      '\n\n# just a comment\n   \n#HELP x help with \\\\ and \\n and \\t\r\n\tx{a="1",} \t 5\r\njob:requests:rate5m 2\n',
    );
    assert.equal(samples.length, 2);
    assert.deepEqual(samples[0], { name: 'x', labels: { a: '1' }, value: 5 });
    assert.equal(samples[1]?.name, 'job:requests:rate5m');
    assert.equal(help.get('x'), 'help with \\ and \n and \\t');
  });

  test('a label named __proto__ is an ordinary own label', () => {
    const [sample] = parsePrometheusText('m{__proto__="x"} 1').samples;
    assert.ok(Object.hasOwn(sample!.labels, '__proto__'));
    assert.equal(Object.getPrototypeOf(sample!.labels), Object.prototype);
  });

  test('parses what the simulated services expose', () => {
    const { samples, types } = parsePrometheusText(prometheusText(1, 'api', 0));
    assert.ok(samples.length > 10);
    assert.equal(types.get('http_request_duration_seconds'), 'histogram');
    assert.ok(samples.every((s) => s.labels.service === 'api'));
    const inf = samples.find((s) => s.labels.le === '+Inf');
    const count = samples.find((s) => s.name === 'http_request_duration_seconds_count');
    assert.equal(inf?.value, count?.value);
  });

  test('a malformed line is an error naming its line number', () => {
    assertLineError('ok 1\nbroken{a="1" 2\n', 2, /expected ',' or '}'/);
    assertLineError('ok 1\n\n}}garbage{{ = = =\n', 3, /expected a metric name/);
    assertLineError('m{a="unterminated} 1', 1, /unterminated/);
    assertLineError('m{a="bad \\t escape"} 1', 1, /invalid escape/);
    assertLineError('m{a="1",a="2"} 1', 1, /appears twice/);
    assertLineError('m{1a="x"} 1', 1, /label name/);
    assertLineError('9m 1', 1, /metric name/);
    assertLineError('m{a:b="x"} 1', 1, /expected '='/);
    assertLineError('m{a "x"} 1', 1, /expected '='/);
    assertLineError('m{a=x} 1', 1, /expected '"'/);
    assertLineError('m', 1, /missing value/);
    assertLineError('m{a="1"}', 1, /missing value/);
    assertLineError('m 12abc', 1, /invalid value/);
    assertLineError('m 0x10', 1, /invalid value/);
    assertLineError('m 1 2.5', 1, /invalid timestamp/);
    assertLineError('m 1 2 3', 1, /unexpected/);
    assertLineError('m-1 2', 1, /after metric name/);
    assertLineError('\u0000\u0001', 1, /metric name/);
    assertLineError('# TYPE m countr', 1, /unknown metric type/);
    assertLineError('# TYPE m counter\n# TYPE m gauge', 2, /second # TYPE/);
    assertLineError('# HELP 9bad text', 1, /valid metric name/);
  });

  test("the simulator's malformed body fails at the first broken line", () => {
    const good = prometheusText(1, 'api', 0);
    const cut = `${good.slice(0, Math.floor(good.length / 2))}\n}}garbage{{ = = =\n`;
    assert.throws(() => parsePrometheusText(cut), PrometheusTextError);
  });
});
