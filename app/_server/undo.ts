import "server-only";
import type { UndoOffer } from "@/lib/store/undo";

/** An Undo the toast offers: how long it stays is counted from when the server answered. */
export type UndoDto = { id: string; label: string; expiresInMs: number };

export function toUndoDto(offer: UndoOffer | null): UndoDto | null {
  if (!offer) return null;
  const expiresInMs = offer.expiresAt.getTime() - Date.now();
  return expiresInMs > 0 ? { id: offer.id, label: offer.label, expiresInMs } : null;
}
