// App-wide state loaded at start-up: what the shell told us, and the language.
import type { AppInfo } from './bindings/AppInfo';

/** `currency`: the company's default currency (credit limits, dashboard). */
export const app = $state<{ info: AppInfo | null; currency: string }>({ info: null, currency: 'EUR' });

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
