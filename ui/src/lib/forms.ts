// Turns an ApiError into per-field messages for a form; unknown fields fall back to a
// general message shown at the top. What the user typed is never cleared on error.
import type { ApiError } from './bindings/ApiError';

export type FormErrors = { fields: Record<string, string>; general: string };

export function emptyErrors(): FormErrors {
  return { fields: {}, general: '' };
}

export function toFormErrors(e: ApiError, knownFields: readonly string[]): FormErrors {
  const field = e.field ?? '';
  const base = field.replace(/\[\d+\]$/, '');
  if (knownFields.includes(field)) return { fields: { [field]: e.message }, general: '' };
  if (knownFields.includes(base)) return { fields: { [base]: e.message }, general: '' };
  return { fields: {}, general: e.message };
}
