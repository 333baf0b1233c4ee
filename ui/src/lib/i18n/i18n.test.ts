import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';

describe('translations', () => {
  it('have the same keys and placeholders in both languages', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(placeholders(fr[key]), key).toEqual(placeholders(en[key]));
      expect(fr[key].trim().length, key).toBeGreaterThan(0);
    }
  });
});
