"use client";

import type { UndoDto } from "@/app/_server/undo";

export type Toast = { text: string; undo: UndoDto | null };

/**
 * The webmail's one toast: what the last action did, with Undo while the
 * server still holds its undo record (lib/store/undo.ts). A live region, so
 * screen readers hear it; Undo is a real button (and the z key).
 */
export function UndoToast({ toast, onUndo }: { toast: Toast; onUndo: (undo: UndoDto) => void }) {
  return (
    <div className="toast" role="status" aria-live="polite">
      {toast.text}
      {toast.undo ? (
        <button type="button" className="toast-undo" onClick={() => onUndo(toast.undo!)}>
          Undo
        </button>
      ) : null}
    </div>
  );
}
