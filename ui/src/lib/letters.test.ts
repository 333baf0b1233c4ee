import { describe, expect, it } from 'vitest';
import type { JournalEntry } from './bindings/JournalEntry';
import { nextStage } from './letters';

const entry = (kind: string, action: string | null, invoices: string[], id = 0, corrects_id: number | null = null): JournalEntry =>
  ({ id, kind, action, invoices, corrects_id }) as unknown as JournalEntry;

describe('nextStage', () => {
  it('opens on a courtesy note before the due date', () => {
    expect(nextStage([entry('document_sent', 'formal_demand', ['F1'])], false)).toBe('courtesy');
  });
  it('opens on the stage after the furthest one sent, a reminder at least', () => {
    expect(nextStage([], true)).toBe('reminder');
    expect(nextStage([entry('document_sent', 'courtesy', ['F1'])], true)).toBe('reminder');
    expect(nextStage([entry('email_prepared', 'reminder', ['F1'])], true)).toBe('final_notice');
    expect(nextStage([entry('action_done', 'formal_demand', ['F1'])], true)).toBe('formal_demand');
    expect(nextStage([entry('call_logged', 'final_notice', ['F1'])], true)).toBe('reminder');
  });
  it('does not count an action done then undone', () => {
    const history = [entry('action_undone', null, ['F1'], 2, 1), entry('action_done', 'final_notice', ['F1'], 1)];
    expect(nextStage(history, true)).toBe('reminder');
  });
  it('counts only the invoice it is asked about', () => {
    const history = [entry('document_sent', 'final_notice', ['F2'])];
    expect(nextStage(history, true, 'F1')).toBe('reminder');
    expect(nextStage(history, true, 'F2')).toBe('formal_demand');
  });
});
