"use client";

import { useEffect, useRef } from "react";

export const SHORTCUTS: [string, string][] = [
  ["j / k", "Next / previous message"],
  ["Enter or o", "Open message"],
  ["u or Esc", "Back to the list"],
  ["x", "Select message"],
  ["e", "Archive"],
  ["# or Delete", "Delete"],
  ["s", "Flag / unflag"],
  ["Shift+i", "Mark as read"],
  ["Shift+u", "Mark as unread"],
  ["!", "Mark as junk"],
  ["z", "Undo the last change"],
  ["/", "Search"],
  ["c", "New message"],
  ["r / a / f", "Reply / reply all / forward"],
  ["Ctrl+Enter", "Send (in the composer)"],
  ["?", "Show this help"],
];

/** The keyboard shortcut list, in a modal <dialog> (focus trap and Esc built in). */
export function ShortcutHelp({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="shortcut-help" aria-labelledby="shortcut-title" onClose={onClose}>
      <h2 id="shortcut-title">Keyboard shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="button small" onClick={onClose}>
        Close
      </button>
    </dialog>
  );
}
