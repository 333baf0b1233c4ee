// The current UI language and the translate function. Reading i18n.lang inside t()
// makes every translated string in markup update when the language changes.
import type { Lang } from '../bindings/Lang';
import { en, type Key } from './en';
import { fr } from './fr';

export const i18n = $state<{ lang: Lang }>({ lang: 'fr' });

const dictionaries: Record<Lang, Record<Key, string>> = { en, fr };

export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[i18n.lang][key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export type { Key };
