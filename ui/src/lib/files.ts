// Where a file the owner saves goes: the native save dialog, or RELANCE_TEST_FILE in the
// end-to-end tests (a native dialog cannot be driven; the work done with the path is the
// same). One place for every "Save PDF…" / "Export…" button.
import { save } from '@tauri-apps/plugin-dialog';
import { app } from './app.svelte';

/** The path chosen for a new `.ext` file proposed as `defaultPath`, or null if cancelled. */
export async function chooseSavePath(defaultPath: string, ext: string): Promise<string | null> {
  const target = app.info?.test_file ?? (await save({ defaultPath, filters: [{ name: ext.toUpperCase(), extensions: [ext] }] }));
  return typeof target === 'string' ? target : null;
}
