/** A window keydown handler: Esc closes what `isOpen` says is open (unless something inside
 *  it, a menu or a calendar, already handled the key). */
export function escapeCloses(isOpen: () => boolean, close: () => void): (e: KeyboardEvent) => void {
  return (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !e.defaultPrevented && isOpen()) {
      e.preventDefault();
      close();
    }
  };
}
