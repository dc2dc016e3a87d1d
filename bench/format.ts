/** Number formatting for the report: fixed decimals, thousands separators, "n/a" for what was not measured. */

export const ms = (v: number | undefined, digits = 1): string => (v === undefined ? 'n/a' : v.toFixed(digits));
export const mb = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(0));
export const pct = (v: number | undefined, digits = 1): string =>
  v === undefined ? 'n/a' : `${(v * 100).toFixed(digits)}%`;
export const times = (v: number | undefined, digits = 2): string => (v === undefined ? 'n/a' : `${v.toFixed(digits)}×`);
export const int = (v: number | undefined): string => (v === undefined ? 'n/a' : Math.round(v).toLocaleString('en'));
export const millions = (v: number | undefined, digits = 1): string =>
  v === undefined ? 'n/a' : (v / 1e6).toFixed(digits);
/** a/b as "x.xx" and, when a < b, the speed-up it means. */
export const fasterBy = (over: number | undefined): string =>
  over === undefined
    ? 'n/a'
    : over < 1
      ? `${over.toFixed(3)} (${(1 / over).toFixed(1)}× faster)`
      : `${over.toFixed(2)} (slower)`;
