// lstm-viz: the stepper's pure functions, numbers and words exactly as Python writes them.
//
// One ES module for two readers: the browser (lstm_viz/ui/stepper.py puts it in front of
// stepper.js, in place of stepper.js's import of it) and node's test runner (tests/js/), which
// holds every function to the cases Python wrote in tests/js/fixtures/python.json.

// f"{x:.{d}f}": toFixed rounds exact halves away from zero, Python to even. A float is an exact
// half at d decimals only if x * 2^(d+1) is an odd integer; then pick the even neighbour.
export function fixed(x, d) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const y = a * 2 ** (d + 1);
  let body;
  if (Number.isInteger(y) && y % 2 === 1 && y < 2 ** 40) {
    let k = (y * 5 ** d - 1) / 2; // a * 10^d = k + 0.5
    if (k % 2 === 1) k += 1;
    const digits = String(k).padStart(d + 1, '0');
    body = d ? `${digits.slice(0, -d)}.${digits.slice(-d)}` : digits;
  } else {
    body = a.toFixed(d);
  }
  return (negative ? '-' : '') + body;
}

// f"{x:+.{d}f}"
export const signed = (x, d) => (x < 0 || Object.is(x, -0) ? '-' : '+') + fixed(Math.abs(x), d);

// f"{x:.{d}%}"
export const percent = (x, d) => `${fixed(x * 100, d)}%`;

// equations._changed: how a sentence about a state ends
export const changed = (before, after) => (Math.abs(after - before) < 0.05 ? ' (it changed little).' : '.');

// numpy's rint: halves to even
export function rint(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

// colours.Scale.shade: the index 0..shades-1 of v on [lo, hi]
export function shadeOf(v, lo, hi, shades) {
  let x = (v - lo) / (hi - lo);
  if (Number.isNaN(x)) x = 0;
  return rint(Math.min(Math.max(x, 0), 1) * (shades - 1));
}

// strips._window: the [lo, hi) range of a window of tokens around the current one (all of them when short)
export function windowOf(n, current, window) {
  if (n <= window) return [0, n];
  const lo = Math.max(0, Math.min(current - Math.floor(window / 2), n - window));
  return [lo, lo + window];
}

// str.format with named fields only, as the sentences of lstm_viz/plots/wording.py are filled in Python
export const fill = (template, values) =>
  template.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
