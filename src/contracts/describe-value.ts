/** A short JSON rendering of a refused value for messages (never more than 60 characters of it). */
export function describeValue(value: unknown, max = 60): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
