// App-wide state loaded at start-up: what the shell told us, and the language.
import type { AppInfo } from './bindings/AppInfo';

/** `currency`: the company's default currency (credit limits, dashboard). `refresh` counts
 *  the times the screen was shown again because someone else changed the ledger; `stale`
 *  says a change came while the person was typing (shown, not applied); `unreachable` that
 *  the shared ledger's server does not answer. */
export const app = $state<{ info: AppInfo | null; currency: string; refresh: number; stale: boolean; unreachable: boolean }>({
  info: null,
  currency: 'EUR',
  refresh: 0,
  stale: false,
  unreachable: false,
});

/** Screens where the person types: a change elsewhere never redraws them under their hands. */
const FORMS = new Set(['customer-new', 'customer-edit', 'invoice-new', 'invoice-write', 'invoice-edit', 'contract-new', 'contract-amend', 'import', 'settings']);

/** Whether the screen is a form (redrawn, it would lose what was typed). */
export function isForm(route: string): boolean {
  return FORMS.has(route);
}

/** What, found on a screen, says the person is in the middle of something: an open dialog,
 *  a row's "…" menu open under their pointer, a form open on the screen (a payment on an
 *  invoice, a skip's reason on a row; the focus may have left it, what is typed in it is
 *  still theirs), a question or a selection waiting for them (`data-in-hand`: a letter being
 *  prepared, Today's selected rows, a confirmation), or an undo still offered. A screen
 *  that only shows holds none of these. */
export const IN_HAND = ['dialog[open]', '[role="menu"]', 'main form:not(.company-setup)', '.inline-form', '[data-in-hand]', '[data-testid="undo-bar"]'];

/** Whether redrawing the screen now could lose something: a form, a field being typed in,
 *  or something in hand (`IN_HAND`). */
export function busy(route: string, doc: Document = document): boolean {
  const a = doc.activeElement;
  const typing = !!a && ['INPUT', 'TEXTAREA', 'SELECT'].includes(a.tagName);
  return FORMS.has(route) || typing || !!doc.querySelector(IN_HAND.join(', '));
}

/** Someone else changed the ledger: the screen is shown again at once when nothing would be
 *  lost, else a bar offers to (`stale`). */
export function ledgerChanged(route: string): void {
  if (busy(route)) app.stale = true;
  else showChanges();
}

export function showChanges(): void {
  app.stale = false;
  app.refresh += 1;
}

/** The "as of" date the engine uses (ISO), for form defaults. */
export function today(): string {
  return app.info?.today ?? new Date().toISOString().slice(0, 10);
}

/** A file or folder as a message names it: from the home folder ("Documents/Relance/x.pdf"),
 *  never the whole path from the root. */
export function shortPath(path: string): string {
  const home = app.info?.home_dir?.replace(/\/+$/, '') ?? '';
  return home.length > 1 && path.startsWith(`${home}/`) ? path.slice(home.length + 1) : path;
}
