import { describe, expect, it } from 'vitest';
import { bands, linear, niceMax, points } from './charts';

describe('chart scales', () => {
  it('round the maximum up to a nice number', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(21313.64)).toBe(25000);
    expect(niceMax(100)).toBe(100);
  });
  it('map amounts to heights and spread bands and points', () => {
    const y = linear(80, 200, 0);
    expect(y(0)).toBe(200);
    expect(y(100)).toBe(0);
    expect(y(-5)).toBe(200);
    const b = bands(5, 0, 100, 0.2);
    expect(b.width).toBeCloseTo(16);
    expect(b.x(0)).toBeCloseTo(2);
    expect(b.x(4)).toBeCloseTo(82);
    const p = points(12, 10, 120);
    expect(p(0)).toBe(10);
    expect(p(11)).toBe(120);
  });
});

describe('compact amounts on narrow bars', () => {
  it('shortens by thousands and millions, in the language', async () => {
    const { compact } = await import('./charts');
    expect(compact(980, 'fr')).toBe('980');
    expect(compact(2137.53, 'fr')).toBe('2,1\u00a0k');
    expect(compact(2137.53, 'en')).toBe('2.1\u00a0k');
    expect(compact(16327.05, 'fr')).toBe('16\u00a0k');
    expect(compact(1_400_000, 'fr')).toBe('1,4\u00a0M');
  });
});
