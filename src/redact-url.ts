/**
 * A connection URL fit for output: its password (in the userinfo, or a `password=` query parameter)
 * masked. An unparsable URL is not echoed at all (it may hold the password in a shape we cannot find):
 * `fallback` stands in for it.
 */
export function redactUrl(url: string, fallback: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return fallback;
  }
}
