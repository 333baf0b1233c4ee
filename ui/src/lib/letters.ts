import type { JournalEntry } from './bindings/JournalEntry';
import type { LetterKind } from './bindings/LetterKind';

const ORDER: LetterKind[] = ['courtesy', 'reminder', 'final_notice', 'formal_demand'];

/** The letter a panel opens on: a courtesy note before the due date; after it, the stage
 *  after the furthest one already sent (a formal demand stays a formal demand), at least a
 *  reminder. `invoice` narrows the history to the entries naming that invoice (a customer's
 *  history covers all their invoices). An action marked done and then undone does not count. */
export function nextStage(history: JournalEntry[], overdue: boolean, invoice?: string): LetterKind {
  if (!overdue) return 'courtesy';
  const undone = new Set(history.filter((e) => e.kind === 'action_undone').map((e) => e.corrects_id));
  const sent = history
    .filter((e) => ['document_sent', 'email_prepared', 'action_done'].includes(e.kind) && !undone.has(e.id) && (invoice === undefined || e.invoices.includes(invoice)))
    .map((e) => ORDER.indexOf((e.action ?? '') as LetterKind));
  const furthest = Math.max(0, ...sent);
  return ORDER[Math.min(Math.max(furthest + 1, 1), ORDER.length - 1)]!;
}
