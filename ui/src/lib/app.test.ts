import { describe, expect, it } from 'vitest';
import { app, busy, IN_HAND, ledgerChanged, showChanges } from './app.svelte';

/** A page as `busy` reads it: the focused element's tag, and the selectors (of a selector
 *  list, split on commas) that find something on it (`true`: every one of `IN_HAND`). */
function page(focused: string | null, present: boolean | string[]): Document {
  const on = present === true ? IN_HAND : present === false ? [] : present;
  return {
    activeElement: focused === null ? null : { tagName: focused },
    querySelector: (list: string) => (list.split(',').some((s) => on.includes(s.trim())) ? {} : null),
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

  it('never redraws what is in hand, wherever the focus went', () => {
    // A row's form open (a skip's reason half typed), the focus on the page's background.
    expect(busy('today', page('BODY', ['.inline-form']))).toBe(true);
    expect(busy('invoice', page(null, ['.inline-form']))).toBe(true);
    expect(busy('today', page('BODY', ['dialog[open]']))).toBe(true);
    expect(busy('today', page('BUTTON', ['[data-testid="undo-bar"]']))).toBe(true);
    expect(busy('today', page('BUTTON', ['[role="menu"]']))).toBe(true);
    // A payment form open on an invoice; a letter being prepared, rows selected on Today.
    expect(busy('invoice', page('BODY', ['main form:not(.company-setup)']))).toBe(true);
    expect(busy('today', page('BUTTON', ['[data-in-hand]']))).toBe(true);
    // Something else found on the page is no reason to wait: the first run's company form
    // untouched either (typed in, it says `data-in-hand`).
    expect(busy('today', page('BODY', ['dialog', '.card', 'main form']))).toBe(false);
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
