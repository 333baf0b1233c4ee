// Scales for the SVG charts. d3-scale is not used: it loads d3-color, which assigns
// `toString` on prototypes at import and throws under Tauri's freezePrototype (the app
// shell never mounted). These two scales are all the charts need.

/** Maps [0, max] to [bottom, top] (SVG y grows downwards); max is rounded up to a nice number. */
export function linear(max: number, bottom: number, top: number): (v: number) => number {
  const m = niceMax(max);
  return (v) => bottom - ((bottom - top) * Math.max(0, v)) / m;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `max` (at least 1). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= max) return f * p;
  return 10 * p;
}

/** `n` equal bands across [from, to] with a padding between them: start of band i, and its width. */
export function bands(n: number, from: number, to: number, padding = 0.2): { x: (i: number) => number; width: number } {
  const step = (to - from) / Math.max(1, n);
  const width = step * (1 - padding);
  return { x: (i) => from + step * i + (step - width) / 2, width };
}

/** `n` points spread across [from, to], both ends included. */
export function points(n: number, from: number, to: number): (i: number) => number {
  return (i) => (n <= 1 ? (from + to) / 2 : from + ((to - from) * i) / (n - 1));
}

/** An amount shortened for a narrow bar: "980", "2,1 k", "12 k", "1,4 M" (French decimal comma). */
export function compact(value: number, lang: 'fr' | 'en'): string {
  const [n, unit] = value >= 1e6 ? [value / 1e6, '\u00a0M'] : value >= 1e3 ? [value / 1e3, '\u00a0k'] : [value, ''];
  const text = n >= 10 || unit === '' ? String(Math.round(n)) : n.toFixed(1);
  return `${lang === 'fr' ? text.replace('.', ',') : text}${unit}`;
}
