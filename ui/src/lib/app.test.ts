import { describe, expect, it } from 'vitest';
import { app, busy, ledgerChanged, showChanges } from './app.svelte';

/** A page as `busy` reads it: the focused element's tag and what the selector finds. */
function page(focused: string | null, found: boolean): Document {
  return {
    activeElement: focused === null ? null : { tagName: focused },
    querySelector: () => (found ? {} : null),
  } as unknown as Document;
}

describe('a change made elsewhere', () => {
  it('never redraws a form, a field being typed in, a dialog or an offered undo', () => {
    expect(busy('customer-new', page('BODY', false))).toBe(true);
    expect(busy('invoice-write', page(null, false))).toBe(true);
    expect(busy('today', page('INPUT', false))).toBe(true);
    expect(busy('today', page('TEXTAREA', false))).toBe(true);
    expect(busy('customers', page('SELECT', false))).toBe(true);
    expect(busy('today', page('BUTTON', true))).toBe(true);
    expect(busy('today', page('BUTTON', false))).toBe(false);
    expect(busy('customer', page(null, false))).toBe(false);
  });

  it('shows the changes at once on a screen that only shows, and a bar otherwise', () => {
    globalThis.document = page('BODY', false);
    const before = app.refresh;
    ledgerChanged('today');
    expect(app.refresh).toBe(before + 1);
    expect(app.stale).toBe(false);
    ledgerChanged('customer-edit');
    expect(app.refresh).toBe(before + 1);
    expect(app.stale).toBe(true);
    showChanges();
    expect(app.stale).toBe(false);
    expect(app.refresh).toBe(before + 2);
  });
});
