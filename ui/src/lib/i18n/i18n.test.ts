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

describe('plural forms', () => {
  it('take the form of the count, by the rule of the language', async () => {
    const { i18n, t } = await import('./index.svelte');
    i18n.lang = 'fr';
    expect(t('today.recorded', { count: 0 })).toBe('0 action enregistrée.');
    expect(t('today.recorded', { count: 1 })).toBe('1 action enregistrée.');
    expect(t('today.recorded', { count: 3 })).toBe('3 actions enregistrées.');
    i18n.lang = 'en';
    expect(t('today.recorded', { count: 0 })).toBe('0 actions recorded.');
    expect(t('today.recorded', { count: 1 })).toBe('1 action recorded.');
    i18n.lang = 'fr';
  });
  it('hold no placeholder inside a plural form (the forms would be cut at its brace)', () => {
    for (const [key, text] of [...Object.entries(fr), ...Object.entries(en)]) {
      expect(text, key).not.toMatch(/\{\w+\|[^}]*\{/);
      // Every text renders whole, without a stray brace, whatever the counts.
      const params = Object.fromEntries((text.match(/\{(\w+)/g) ?? []).map((m) => [m.slice(1), 2]));
      expect(text.replace(/\{(\w+)\|([^|}]*)\|([^}]*)\}/g, '$2').replace(/\{\w+\}/g, String(params)), key).not.toMatch(/[{}]/);
    }
  });
  it('leave no "(s)" in any text', () => {
    for (const text of [...Object.values(fr), ...Object.values(en)]) expect(text).not.toMatch(/\(s\)/);
  });
});

describe('French typography', () => {
  it('puts a space before double punctuation and inside guillemets in every French text', () => {
    for (const [key, text] of Object.entries(fr)) {
      const bare = text.replace(/\{[^}]*\}/g, '');
      expect(bare, key).not.toMatch(/[^\s\u00a0\u202f][:;?!](?![/\w])/);
      expect(bare, key).not.toMatch(/«[^\s\u00a0\u202f]|[^\s\u00a0\u202f]»/);
    }
  });
  it('makes those spaces no-break when shown, never touching the values put in', async () => {
    const { frenchSpaces, i18n, t } = await import('./index.svelte');
    expect(frenchSpaces('Objet : relance ; « oui » ?')).toBe('Objet\u00a0: relance\u202f; «\u00a0oui\u00a0»\u202f?');
    i18n.lang = 'fr';
    expect(t('today.snoozed_until', { date: 'a : b' })).toBe('Reporté au a : b');
    expect(t('customer.archived_on', { date: '01/12/2026' })).toBe('Archivé le 01/12/2026\u00a0: absent des listes et d\'Aujourd\'hui.');
  });
});
