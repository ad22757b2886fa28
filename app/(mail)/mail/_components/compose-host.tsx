"use client";

// Everything around the composer in the mail app: the New message and
// Outbox buttons, the shortcuts c (new), r (reply), a (reply all) and f
// (forward) on the open message, the Undo toast after Send, and the Outbox
// of sends that have not left yet (undo window or scheduled), each of which
// can be edited or cancelled. Reply buttons in the reading pane reach it
// through a "mail:compose" window event (compose-buttons.tsx).
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import {
  cancelSendAction,
  listOutboxAction,
  startComposeAction,
  type ComposeOpen,
  type PendingSendDto,
} from "../compose-actions";
import type { SentInfo } from "./compose-panel";
import "./compose.css";

// The composer holds the rich-text editor (Tiptap on ProseMirror), the largest
// client library: it is fetched when a composer is first asked for, in
// parallel with the server's answer, or earlier when the pointer reaches the
// New message button, so /mail itself stays within its JavaScript budget.
type ComposePanelModule = typeof import("./compose-panel");
let composePanelLoad: Promise<ComposePanelModule> | null = null;
function loadComposePanel(): Promise<ComposePanelModule> {
  composePanelLoad ??= import("./compose-panel").catch((error: unknown) => {
    composePanelLoad = null; // a failed download is tried again next time
    throw error;
  });
  return composePanelLoad;
}
const COMPOSER_UNAVAILABLE =
  "The composer could not be loaded. Check the connection and try again.";

export type ComposeMode = "new" | "reply" | "reply-all" | "forward" | "draft";
export const COMPOSE_EVENT = "mail:compose";

const TITLES: Record<ComposeMode, string> = {
  new: "New message",
  reply: "Reply",
  "reply-all": "Reply all",
  forward: "Forward",
  draft: "Edit draft",
};

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || target.closest("input, textarea, select") !== null);

export function ComposeHost() {
  const router = useRouter();
  const openId = useSearchParams().get("m");
  const [open, setOpen] = useState<{ key: number; title: string; state: ComposeOpen } | null>(null);
  const [undo, setUndo] = useState<{ id: string; until: number; scheduled: boolean } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [message, setMessage] = useState("");
  const [outbox, setOutbox] = useState<PendingSendDto[] | null>(null);
  const outboxRef = useRef<HTMLDialogElement>(null);
  const opening = useRef(false);
  const [panel, setPanel] = useState<ComposePanelModule | null>(null);

  /** The composer's code, fetched once; false (and a message) when it cannot be. */
  const ensurePanel = useCallback(async (): Promise<boolean> => {
    try {
      setPanel(await loadComposePanel());
      return true;
    } catch {
      setMessage(COMPOSER_UNAVAILABLE);
      return false;
    }
  }, []);

  const say = useCallback((text: string) => setMessage(text), []);
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setMessage(""), 6000);
    return () => clearTimeout(timer);
  }, [message]);

  const start = useCallback(
    async (mode: ComposeMode, messageId: string | null) => {
      if (opening.current) return;
      opening.current = true;
      try {
        const [result, loaded] = await Promise.all([
          startComposeAction(mode, messageId),
          ensurePanel(),
        ]);
        if (!loaded) return;
        if (result.ok) setOpen({ key: Date.now(), title: TITLES[mode], state: result.value });
        else say(result.error);
      } finally {
        opening.current = false;
      }
    },
    [say, ensurePanel],
  );

  const takeBack = async (pendingId: string) => {
    const [result] = await Promise.all([cancelSendAction(pendingId), ensurePanel()]);
    setUndo(null);
    if (!result.ok) {
      say(result.error);
      return;
    }
    setOpen({ key: Date.now(), title: TITLES.draft, state: result.value });
    say("Sending cancelled. The message is back in Drafts.");
    router.refresh();
  };

  // Shortcuts and the reading pane's buttons.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector("dialog[open]")) return;
      const mode =
        e.key === "c"
          ? "new"
          : e.key === "r"
            ? "reply"
            : e.key === "a"
              ? "reply-all"
              : e.key === "f"
                ? "forward"
                : null;
      if (!mode || (mode !== "new" && !openId)) return;
      e.preventDefault();
      void start(mode, mode === "new" ? null : openId);
    };
    const onEvent = (e: Event) => {
      const detail = (e as CustomEvent<{ mode: ComposeMode; messageId: string | null }>).detail;
      void start(detail.mode, detail.messageId);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener(COMPOSE_EVENT, onEvent);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener(COMPOSE_EVENT, onEvent);
    };
  }, [openId, start]);

  // The Undo toast counts down to the end of the window.
  useEffect(() => {
    if (!undo) return;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= undo.until) setUndo(null);
    }, 250);
    return () => clearInterval(timer);
  }, [undo]);

  const showOutbox = async () => {
    const result = await listOutboxAction();
    if (!result.ok) return say(result.error);
    setOutbox(result.value);
    outboxRef.current?.showModal();
  };

  const onSent = (sent: SentInfo) => {
    setOpen(null);
    router.refresh();
    if (sent.scheduled) {
      say(`Scheduled for ${new Date(sent.sendAt).toLocaleString()}.`);
      return;
    }
    setNow(Date.now());
    setUndo({ id: sent.id, until: new Date(sent.sendAt).getTime(), scheduled: false });
  };

  return (
    <>
      <button
        type="button"
        className="button small compose-button"
        onClick={() => void start("new", null)}
        onPointerEnter={() => void loadComposePanel().catch(() => {})}
        onFocus={() => void loadComposePanel().catch(() => {})}
      >
        New<span className="wide-only">&nbsp;message</span>
      </button>
      <button type="button" className="button small quiet" onClick={() => void showOutbox()}>
        Outbox
      </button>
      {open && panel ? (
        <panel.ComposePanel
          key={open.key}
          initial={open.state}
          title={open.title}
          onClose={() => {
            setOpen(null);
            router.refresh();
          }}
          onSent={onSent}
          say={say}
        />
      ) : null}
      <div className="compose-toast" role="status" aria-live="polite">
        {undo ? (
          <span data-testid="undo-toast">
            Sending in {Math.max(0, Math.ceil((undo.until - now) / 1000))} s…{" "}
            <button type="button" className="button small" onClick={() => void takeBack(undo.id)}>
              Undo
            </button>
          </span>
        ) : (
          message
        )}
      </div>
      <dialog
        ref={outboxRef}
        className="outbox"
        aria-labelledby="outbox-title"
        onClose={() => setOutbox(null)}
      >
        <h2 id="outbox-title">Outbox</h2>
        {outbox && outbox.length === 0 ? <p>Nothing is waiting to be sent.</p> : null}
        <ul>
          {(outbox ?? []).map((p) => (
            <li key={p.id} data-testid="outbox-item">
              <strong>{p.subject || "(no subject)"}</strong> to {p.recipients.join(", ")}
              <br />
              <span className="muted small">
                {p.status === "failed"
                  ? `Not sent: ${p.lastError ?? "refused"}`
                  : `${p.scheduled ? "Scheduled for" : "Sending at"} ${new Date(p.sendAt).toLocaleString()}`}
              </span>{" "}
              <button
                type="button"
                className="button small"
                onClick={() => {
                  outboxRef.current?.close();
                  void takeBack(p.id);
                }}
              >
                Edit<span className="visually-hidden"> {p.subject}</span>
              </button>{" "}
              <button
                type="button"
                className="button small quiet"
                onClick={async () => {
                  const result = await cancelSendAction(p.id);
                  if (!result.ok) return say(result.error);
                  setOutbox((list) => (list ?? []).filter((x) => x.id !== p.id));
                  say("Sending cancelled. The message is in Drafts.");
                  router.refresh();
                }}
              >
                Cancel send<span className="visually-hidden"> {p.subject}</span>
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="button small" onClick={() => outboxRef.current?.close()}>
          Close
        </button>
      </dialog>
    </>
  );
}
