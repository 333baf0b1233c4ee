import { describe, expect, it, vi } from 'vitest';

vi.stubGlobal('window', { location: { hash: '' }, addEventListener: () => {} });
const { parseRoute } = await import('./router.svelte');

describe('parseRoute', () => {
  it('maps hashes to screens', () => {
    expect(parseRoute('')).toEqual({ name: 'today' });
    expect(parseRoute('#/customers')).toEqual({ name: 'customers' });
    expect(parseRoute('#/customers/12')).toEqual({ name: 'customer', id: 12 });
    expect(parseRoute('#/customers/12/edit')).toEqual({ name: 'customer-edit', id: 12 });
    expect(parseRoute('#/invoices/new?customer=ACME')).toEqual({ name: 'invoice-new', customer: 'ACME' });
    expect(parseRoute('#/invoices/x')).toEqual({ name: 'invoices' });
  });
});
