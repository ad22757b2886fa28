"use client";

// The composer: the From address (the account's own or an alias it owns, as
// Outlook offers), recipients as chips with suggestions, subject, a rich-text
// (Tiptap) or plain-text body, attachments by picker or drag and drop with
// progress and cancel, autosave to Drafts a few seconds after typing stops,
// Send (held for the undo window on the server) and scheduled send.
// Ctrl+Enter sends; Escape asks before discarding a non-empty draft.
import { useCallback, useEffect, useRef, useState } from "react";
import { uploadUrl } from "@/lib/compose/upload-url";
import { discardDraftAction, sendAction, type ComposeOpen } from "../compose-actions";
import { Icon } from "@/app/_components/icons";
import { RecipientField, type Chip } from "./recipient-field";
import {
  saveDraftOnLeave,
  saveDraftWithRetry,
  tooLargeForLeave,
  type DraftSave,
} from "./draft-save";
import { RichEditor, type Editor } from "./rich-editor";
import { UploadAbortedError, uploadFile, type UploadHandle } from "./upload-file";

/** How long typing must pause before the draft is saved. */
const AUTOSAVE_DELAY_MS = 2500;

type Attachment = {
  key: string;
  filename: string;
  size: number;
  progress: number;
  id: string | null;
  error: string | null;
  handle: UploadHandle | null;
};

export type SentInfo = { id: string; sendAt: string; scheduled: boolean };

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const escapeText = (t: string) =>
  t.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

let keySeq = 0;

export function ComposePanel({
  initial,
  title,
  onClose,
  onSent,
  say,
}: {
  initial: ComposeOpen;
  title: string;
  onClose: () => void;
  onSent: (sent: SentInfo) => void;
  say: (text: string) => void;
}) {
  const chips = (list: { name: string; address: string }[]): Chip[] =>
    list.map((a) => ({ ...a, valid: true }));
  const [from, setFrom] = useState(initial.input.from ?? initial.fromAddresses[0] ?? "");
  const [to, setTo] = useState<Chip[]>(chips(initial.input.to));
  const [cc, setCc] = useState<Chip[]>(chips(initial.input.cc));
  const [bcc, setBcc] = useState<Chip[]>(chips(initial.input.bcc));
  const [showCc, setShowCc] = useState(initial.input.cc.length + initial.input.bcc.length > 0);
  const [subject, setSubject] = useState(initial.input.subject);
  const [format, setFormat] = useState(initial.input.format);
  const [html, setHtml] = useState(initial.input.format === "html" ? initial.input.body : "");
  const [text, setText] = useState(initial.input.format === "text" ? initial.input.body : "");
  const [attachments, setAttachments] = useState<Attachment[]>(
    initial.uploads.map((u) => ({
      key: `a${++keySeq}`,
      filename: u.filename,
      size: u.size,
      progress: 1,
      id: u.id,
      error: null,
      handle: null,
    })),
  );
  const [draftId, setDraftId] = useState(initial.draftId);
  const [saveState, setSaveState] = useState(initial.draftId ? "Draft" : "");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [scheduling, setScheduling] = useState(false);
  const [scheduleAt, setScheduleAt] = useState("");
  const [dragging, setDragging] = useState(false);
  const [edits, setEdits] = useState(0);
  const editorRef = useRef<Editor | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const imageInput = useRef<HTMLInputElement>(null);
  const imagePick = useRef<((url: string | null) => void) | null>(null);
  const closed = useRef(false);
  const saving = useRef<Promise<unknown>>(Promise.resolve());
  const draftRef = useRef(draftId);
  useEffect(() => {
    draftRef.current = draftId;
  });
  const edited = () => setEdits((n) => n + 1);

  const input = () => ({
    from,
    to: to.map(({ name, address }) => ({ name, address })),
    cc: cc.map(({ name, address }) => ({ name, address })),
    bcc: bcc.map(({ name, address }) => ({ name, address })),
    subject,
    format,
    body: format === "html" ? html : text,
    attachments: attachments.flatMap((a) => (a.id ? [a.id] : [])),
    inReplyTo: initial.input.inReplyTo,
    references: initial.input.references,
  });
  const inputRef = useRef(input);
  useEffect(() => {
    inputRef.current = input;
  });

  // Edits made since the last save that reached the server (edits counts up).
  const savedEdits = useRef(0);
  const editsRef = useRef(edits);
  useEffect(() => {
    editsRef.current = edits;
  });
  const [saveFailed, setSaveFailed] = useState(false);

  /** What a save sends now: invalid chips are left out of a draft rather than failing it. */
  const draftSave = useCallback((): DraftSave => {
    const current = inputRef.current();
    const valid = (l: { address: string }[], c: Chip[]) =>
      l.filter((a) => c.find((x) => x.address === a.address)?.valid !== false);
    return {
      compositionId: initial.compositionId,
      draftId: draftRef.current,
      input: {
        ...current,
        to: valid(current.to, to),
        cc: valid(current.cc, cc),
        bcc: valid(current.bcc, bcc),
      },
    };
  }, [to, cc, bcc, initial.compositionId]);
  const draftSaveRef = useRef(draftSave);
  useEffect(() => {
    draftSaveRef.current = draftSave;
  });

  /**
   * Saves the draft (one save at a time, in order; the new copy replaces the
   * last), retried while the server cannot be reached. Resolves true once
   * saved.
   */
  const saveNow = useCallback((): Promise<boolean> => {
    const next = saving.current.then(async () => {
      if (closed.current) return false;
      const at = editsRef.current;
      setSaveState("Saving…");
      const result = await saveDraftWithRetry(draftSave);
      if (result.ok) {
        draftRef.current = result.draftId;
        savedEdits.current = Math.max(savedEdits.current, at);
        setDraftId(result.draftId);
        setSaveFailed(false);
        setSaveState(
          `Draft saved at ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`,
        );
        return true;
      }
      if (closed.current) return false;
      setSaveFailed(true);
      setSaveState(`Draft not saved: ${result.error} Your text is still here.`);
      return false;
    });
    saving.current = next.catch(() => {});
    return next;
  }, [draftSave]);

  // Leaving the page (tab closed, reload, another site) with edits not yet
  // saved: the save goes out with keepalive and finishes without the page.
  // A draft too large for that makes the browser ask first.
  useEffect(() => {
    const dirty = () => !closed.current && editsRef.current > savedEdits.current;
    const onPageHide = () => {
      if (dirty()) saveDraftOnLeave(draftSaveRef.current());
    };
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (dirty() && tooLargeForLeave(draftSaveRef.current())) e.preventDefault();
    };
    window.addEventListener("pagehide", onPageHide);
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => {
      window.removeEventListener("pagehide", onPageHide);
      window.removeEventListener("beforeunload", onBeforeUnload);
      // Unmounted without Close, Send or Discard (the page changed under it).
      onPageHide();
    };
  }, []);

  // Autosave a little after the last edit.
  useEffect(() => {
    if (edits === 0) return;
    const timer = setTimeout(() => void saveNow(), AUTOSAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [edits, saveNow]);

  const isEmpty = () =>
    edits === 0 && draftId === null && attachments.length === initial.uploads.length;

  const upload = (file: File, inline: boolean): Promise<string | null> => {
    const key = `a${++keySeq}`;
    if (file.size > initial.maxAttachmentBytes) {
      setAttachments((list) => [
        ...list,
        {
          key,
          filename: file.name,
          size: file.size,
          progress: 0,
          id: null,
          error: `Too large: attachments can be at most ${formatSize(initial.maxAttachmentBytes)}.`,
          handle: null,
        },
      ]);
      return Promise.resolve(null);
    }
    const update = (change: Partial<Attachment>) =>
      setAttachments((list) => list.map((a) => (a.key === key ? { ...a, ...change } : a)));
    const handle = uploadFile(file, (progress) => update({ progress }));
    setAttachments((list) => [
      ...list,
      { key, filename: file.name, size: file.size, progress: 0, id: null, error: null, handle },
    ]);
    return handle.promise.then(
      (done) => {
        update({ id: done.id, progress: 1, handle: null });
        edited();
        return inline ? uploadUrl(done.id) : done.id;
      },
      (e: unknown) => {
        if (e instanceof UploadAbortedError) {
          setAttachments((list) => list.filter((a) => a.key !== key));
        } else {
          update({ error: (e as Error).message, handle: null });
        }
        return null;
      },
    );
  };

  const removeAttachment = (a: Attachment) => {
    if (a.handle) {
      a.handle.abort();
      return;
    }
    setAttachments((list) => list.filter((x) => x.key !== a.key));
    if (a.id) void fetch(`/api/compose/uploads/${a.id}`, { method: "DELETE" });
    edited();
  };

  const send = async (sendAt: string | null) => {
    setError("");
    const invalid = [...to, ...cc, ...bcc].filter((c) => !c.valid);
    if (invalid.length > 0) {
      setError(
        `Fix or remove the invalid address${invalid.length > 1 ? "es" : ""}: ${invalid.map((c) => c.address).join(", ")}.`,
      );
      return;
    }
    if (to.length + cc.length + bcc.length === 0) {
      setError("Add at least one recipient.");
      return;
    }
    if (attachments.some((a) => a.handle)) {
      setError("Wait until the attachments have finished uploading.");
      return;
    }
    if (attachments.some((a) => a.error)) {
      setError("Remove the attachments that could not be uploaded.");
      return;
    }
    setBusy(true);
    // No autosave starts once Send is pressed; the server refuses (and
    // keeps no copy of) any save that still arrives after the send.
    closed.current = true;
    await saving.current;
    const result = await sendAction(input(), draftRef.current, sendAt, initial.compositionId);
    setBusy(false);
    if (!result.ok) {
      closed.current = false;
      setError(result.error);
      return;
    }
    onSent({ id: result.value.id, sendAt: result.value.sendAt, scheduled: sendAt !== null });
  };

  const close = async () => {
    if (isEmpty()) {
      closed.current = true;
      onClose();
      return;
    }
    // Never close over text that is not saved: the error stays in view.
    if (!(await saveNow())) return;
    closed.current = true;
    say("Draft saved.");
    onClose();
  };

  const discard = async () => {
    closed.current = true;
    await saving.current;
    for (const a of attachments) a.handle?.abort();
    await discardDraftAction(
      draftRef.current,
      attachments.flatMap((a) => (a.id ? [a.id] : [])),
    );
    say("Draft discarded.");
    onClose();
  };

  const switchFormat = (next: "html" | "text") => {
    if (next === format) return;
    if (next === "text") {
      setText(editorRef.current?.getText({ blockSeparator: "\n\n" }) ?? "");
    } else {
      setHtml(
        text
          .split(/\n\n/)
          .map((p) => `<p>${escapeText(p).replace(/\n/g, "<br>")}</p>`)
          .join(""),
      );
    }
    setFormat(next);
    edited();
  };

  return (
    <section
      className="compose-panel"
      role="dialog"
      aria-modal="false"
      aria-label={title}
      data-dragging={dragging ? "true" : undefined}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          e.stopPropagation();
          void send(null);
        } else if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          if (isEmpty()) {
            closed.current = true;
            onClose();
          } else if (window.confirm("Discard this draft?")) {
            void discard();
          }
        }
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (e.dataTransfer.files.length === 0) return;
        e.preventDefault();
        setDragging(false);
        for (const file of e.dataTransfer.files) void upload(file, false);
      }}
    >
      <div className="compose-header">
        <h2>{title}</h2>
        <span
          className={saveFailed ? "field-error small" : "muted small"}
          role={saveFailed ? "alert" : "status"}
          data-testid="draft-status"
        >
          {saveState}
        </span>
        {saveFailed ? (
          <button type="button" className="button small quiet" onClick={() => void saveNow()}>
            Try again
          </button>
        ) : null}
        <button
          type="button"
          className="icon-button"
          aria-label="Close and save draft"
          onClick={() => void close()}
        >
          <Icon name="close" />
        </button>
      </div>
      <div className="compose-fields">
        {/* A choice only when there is one to make (as in Gmail): most accounts send as themselves. */}
        {initial.fromAddresses.length > 1 ? (
          <div className="from-field">
            <label htmlFor="compose-from">From</label>
            <select
              id="compose-from"
              value={from}
              onChange={(e) => {
                setFrom(e.target.value);
                edited();
              }}
            >
              {initial.fromAddresses.map((address) => (
                <option key={address} value={address}>
                  {initial.fromName ? `${initial.fromName} <${address}>` : address}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <RecipientField
          label="To"
          chips={to}
          onChange={(c) => (setTo(c), edited())}
          autoFocus={to.length === 0}
        />
        {showCc ? (
          <>
            <RecipientField label="Cc" chips={cc} onChange={(c) => (setCc(c), edited())} />
            <RecipientField label="Bcc" chips={bcc} onChange={(c) => (setBcc(c), edited())} />
          </>
        ) : (
          <button type="button" className="button small quiet" onClick={() => setShowCc(true)}>
            Cc/Bcc
          </button>
        )}
        <div className="subject-field">
          <label htmlFor="compose-subject">Subject</label>
          <input
            id="compose-subject"
            value={subject}
            maxLength={998}
            autoFocus={to.length > 0 && subject === ""}
            onChange={(e) => {
              setSubject(e.target.value.replace(/[\r\n]+/g, " "));
              edited();
            }}
          />
        </div>
      </div>
      <div className="compose-body">
        {format === "html" ? (
          <RichEditor
            initialHtml={html}
            editorRef={editorRef}
            onChange={(value) => {
              setHtml(value);
              edited();
            }}
            onPickImage={() =>
              new Promise((resolve) => {
                imagePick.current = resolve;
                imageInput.current?.click();
              })
            }
          />
        ) : (
          <textarea
            aria-label="Message body"
            className="plain-body"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              edited();
            }}
          />
        )}
      </div>
      {attachments.length > 0 ? (
        <ul className="compose-attachments" aria-label="Attachments">
          {attachments.map((a) => (
            <li
              key={a.key}
              data-testid="compose-attachment"
              data-state={a.error ? "error" : a.id ? "done" : "uploading"}
            >
              <span className="attachment-name">{a.filename}</span>
              <span className="muted small">{formatSize(a.size)}</span>
              {a.id === null && !a.error ? (
                <progress max={1} value={a.progress} aria-label={`Uploading ${a.filename}`} />
              ) : null}
              {a.error ? (
                <span className="field-error" role="alert">
                  {a.error}
                </span>
              ) : null}
              <button
                type="button"
                className="button small quiet"
                onClick={() => removeAttachment(a)}
              >
                {a.handle ? "Cancel" : "Remove"}
                <span className="visually-hidden"> {a.filename}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="field-error" role="alert" data-testid="compose-error">
          {error}
        </p>
      ) : null}
      <footer className="compose-actions">
        <button type="button" className="button" disabled={busy} onClick={() => void send(null)}>
          Send
        </button>
        <button
          type="button"
          className="button quiet"
          onClick={() => setScheduling((s) => !s)}
          aria-expanded={scheduling}
        >
          Schedule…
        </button>
        <button type="button" className="button quiet" onClick={() => fileInput.current?.click()}>
          Attach files
        </button>
        <span className="muted small">Up to {formatSize(initial.maxAttachmentBytes)}</span>
        <label className="plain-toggle">
          <input
            type="checkbox"
            checked={format === "text"}
            onChange={(e) => switchFormat(e.target.checked ? "text" : "html")}
          />
          Plain text
        </label>
        <button type="button" className="button quiet danger" onClick={() => void discard()}>
          Discard
        </button>
      </footer>
      {scheduling ? (
        <div className="schedule-picker">
          <label htmlFor="compose-send-at">Send at</label>
          <input
            id="compose-send-at"
            type="datetime-local"
            step={1}
            value={scheduleAt}
            onChange={(e) => setScheduleAt(e.target.value)}
          />
          <button
            type="button"
            className="button small"
            disabled={busy}
            onClick={() => {
              const when = new Date(scheduleAt);
              if (!scheduleAt || Number.isNaN(when.getTime())) {
                setError("Choose a date and time to send at.");
                return;
              }
              void send(when.toISOString());
            }}
          >
            Schedule send
          </button>
        </div>
      ) : null}
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        aria-label="Attach files"
        data-testid="attach-input"
        onChange={(e) => {
          for (const file of e.target.files ?? []) void upload(file, false);
          e.target.value = "";
        }}
      />
      <input
        ref={imageInput}
        type="file"
        accept="image/png,image/jpeg,image/gif,image/webp"
        hidden
        aria-label="Insert image"
        data-testid="image-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          const pick = imagePick.current;
          imagePick.current = null;
          if (!file || !pick) return pick?.(null);
          void upload(file, true).then(pick);
        }}
      />
    </section>
  );
}
