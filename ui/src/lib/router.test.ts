import { describe, expect, it, vi } from 'vitest';

vi.stubGlobal('window', { location: { hash: '' }, addEventListener: () => {} });
const { parseRoute, sectionOf } = await import('./router.svelte');

describe('parseRoute', () => {
  it('maps hashes to screens', () => {
    expect(parseRoute('')).toEqual({ name: 'today' });
    expect(parseRoute('#/customers')).toEqual({ name: 'customers' });
    expect(parseRoute('#/customers/12')).toEqual({ name: 'customer', id: 12 });
    expect(parseRoute('#/customers/12/edit')).toEqual({ name: 'customer-edit', id: 12 });
    expect(parseRoute('#/invoices/new?customer=ACME')).toEqual({ name: 'invoice-new', customer: 'ACME' });
    expect(parseRoute('#/invoices/x')).toEqual({ name: 'invoices' });
    expect(parseRoute('#/bank')).toEqual({ name: 'bank' });
    expect(parseRoute('#/bank?line=42')).toEqual({ name: 'bank', line: 42 });
    expect(parseRoute('#/bank?line=x')).toEqual({ name: 'bank' });
  });
});

describe('sectionOf', () => {
  it('lights the sidebar entry of every screen, Settings included', () => {
    const sections = ['today', 'customer', 'invoice', 'dispute', 'import', 'settings'];
    const cases: [string, string][] = [
      ['', 'today'],
      ['#/customers', 'customer'],
      ['#/customers/new', 'customer'],
      ['#/customers/3/edit', 'customer'],
      ['#/invoices/7', 'invoice'],
      ['#/invoices/new', 'invoice'],
      ['#/disputes', 'dispute'],
      ['#/import', 'import'],
      ['#/settings', 'settings'],
    ];
    for (const [hash, section] of cases) {
      expect(sectionOf(parseRoute(hash))).toBe(section);
      expect(sections).toContain(sectionOf(parseRoute(hash)));
    }
  });
});
