// The current UI language and the translate function. Reading i18n.lang inside t()
// makes every translated string in markup update when the language changes.
import type { Lang } from '../bindings/Lang';
import { en, type Key } from './en';
import { fr } from './fr';

export const i18n = $state<{ lang: Lang }>({ lang: 'fr' });

const dictionaries: Record<Lang, Record<Key, string>> = { en, fr };

/**
 * The text of `key` with its `{name}` placeholders filled, and its plural forms chosen:
 * `{count|facture|factures}` takes the first form for one (French: for 0 and 1, "0 jour";
 * English: for 1 only), the second otherwise. Never "facture(s)".
 */
/** French typography on the texts themselves (never on the values put in them): a no-break
 *  space before ":" and inside « », a narrow no-break space before ";", "?" and "!", so a
 *  line never starts with the punctuation. */
export function frenchSpaces(text: string): string {
  return text
    .replace(/ :/g, '\u00a0:')
    .replace(/ %/g, '\u202f%')
    .replace(/ ([;?!])/g, '\u202f$1')
    .replace(/« /g, '«\u00a0')
    .replace(/ »/g, '\u00a0»');
}

/** A text the engine or the user wrote (a history note, a rule's reason), set in the UI's
 *  typography: French spaces when the interface speaks French, as it is otherwise. */
export function typeset(text: string): string {
  return i18n.lang === 'fr' ? frenchSpaces(text) : text;
}

export function t(key: Key, params: Record<string, string | number> = {}): string {
  const raw = dictionaries[i18n.lang][key];
  const text = i18n.lang === 'fr' ? frenchSpaces(raw) : raw;
  const one = (n: number) => (i18n.lang === 'fr' ? Math.abs(n) < 2 : Math.abs(n) === 1);
  return text
    .replace(/\{(\w+)\|([^|}]*)\|([^}]*)\}/g, (_, name: string, single: string, many: string) => (one(Number(params[name])) ? single : many))
    .replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export type { Key };
