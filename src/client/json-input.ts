import { InvalidJsonError } from './errors';

/**
 * JSON.parse, but a syntax error says where: line, column and offset. V8's messages only sometimes
 * carry a position ("Unexpected token 'a', "abc" is not valid JSON" does not), so on failure a small
 * scanner walks the text to find the first offending character.
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const { position, problem } = locateJsonError(text);
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    throw new InvalidJsonError(source, position, line, column, problem);
  }
}

/** The first syntax error in `text` (which JSON.parse has rejected). */
export function locateJsonError(text: string): { position: number; problem: string } {
  let i = 0;
  class Stop {
    constructor(readonly problem: string) {}
  }
  const describe = () => (i >= text.length ? 'the text ends' : `unexpected ${JSON.stringify(text[i])}`);
  const stop = (expected: string): never => {
    throw new Stop(`${describe()} where ${expected} was expected`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) stop(`"${word}"`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined) stop('a closing "');
      if (ch === '"') return void i++;
      if (ch! < ' ') throw new Stop('a control character (such as a raw newline) inside a string');
      if (ch === '\\') {
        i++;
        if (text[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-f]/i.test(text[i] ?? '')) stop('a hex digit of a \\u escape');
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
        else stop('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)');
      } else i++;
    }
  };
  const digits = () => {
    if (!/[0-9]/.test(text[i] ?? '')) stop('a digit');
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') stop('a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') stop('":"');
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else stop('"," or "}"');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else stop('"," or "]"');
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || /[0-9]/.test(ch ?? '')) return number();
    stop('a value');
  };
  try {
    value();
    ws();
    if (i < text.length) stop('the end of the text');
    return { position: 0, problem: 'invalid JSON' }; // JSON.parse rejected what the scanner accepts: should not happen
  } catch (err) {
    if (err instanceof Stop) return { position: i, problem: err.problem };
    throw err;
  }
}
