// App-wide state loaded at start-up: what the shell told us, and the language.
import type { AppInfo } from './bindings/AppInfo';

/** `currency`: the company's default currency (credit limits, dashboard). */
export const app = $state<{ info: AppInfo | null; currency: string }>({ info: null, currency: 'EUR' });

/** The "as of" date the engine uses (ISO), for form defaults. */
export function today(): string {
  return app.info?.today ?? new Date().toISOString().slice(0, 10);
}
