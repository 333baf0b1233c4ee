import { describe, expect, it } from 'vitest';
import { toFormErrors } from './forms';

describe('toFormErrors', () => {
  const err = (field: string | null) => ({ kind: 'invalid', message: 'Bad', field, rows: [] });
  it('puts a known field message next to the field', () => {
    expect(toFormErrors(err('due_date'), ['due_date', 'total'])).toEqual({ fields: { due_date: 'Bad' }, general: '' });
  });
  it('maps indexed fields to their base', () => {
    expect(toFormErrors(err('allocations[0]'), ['allocations'])).toEqual({ fields: { allocations: 'Bad' }, general: '' });
  });
  it('falls back to a general message', () => {
    expect(toFormErrors(err(null), ['x'])).toEqual({ fields: {}, general: 'Bad' });
    expect(toFormErrors(err('other'), ['x']).general).toBe('Bad');
  });
});
