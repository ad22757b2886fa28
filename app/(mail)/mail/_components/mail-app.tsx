"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import type { FolderDto, MessageRowDto } from "@/app/_server/mail";
import type { UndoDto } from "@/app/_server/undo";
import { Icon } from "@/app/_components/icons";
import { SignOutButton } from "@/app/_components/sign-out-button";
import {
  archiveAction,
  createFolderAction,
  deleteAction,
  deleteFolderAction,
  emptyFolderAction,
  junkAction,
  loadMoreAction,
  moveAction,
  renameFolderAction,
  undoAction,
  type ActionResult,
  type ChangeResult,
} from "../actions";
import { ComposeHost } from "./compose-host";
import { flagChangesSettled, sendFlagChange, type FlagChange } from "./flag-requests";
import { FolderPane } from "./folder-pane";
import { mailHref } from "./mail-url";
import { MessageList } from "./message-list";
import { ShortcutHelp } from "./shortcut-help";
import { UndoToast, type Toast } from "./undo-toast";
import { SelectAllBanner, useBulkJob, type BulkChange } from "./bulk-select";
import { LayoutMenu, useMailLayout } from "./layout-menu";
import type { MailLayout } from "@/lib/accounts/mail-layout";

export type MailView = {
  folderId: string | null;
  folderName: string;
  specialUse: string | null;
  query: string;
  unknownFolder: string | null;
};

type ListPage = { items: MessageRowDto[]; nextCursor: string | null };
type Removal = "archive" | "delete" | "junk" | "not-junk" | { folderId: string };

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || target.closest("input, textarea, select") !== null);

/**
 * The webmail's interactive shell: folders, list, toolbar, keyboard
 * shortcuts, drag and drop, live updates. The reading pane arrives as
 * server-rendered children. Changes go through server actions; the page's
 * data is re-read from the server after each (and after each live event),
 * with optimistic updates in between so the list responds at once.
 */
export function MailApp({
  account,
  folders,
  view,
  list,
  openId,
  openUnreadIds,
  undo: pendingUndo = null,
  layout: savedLayout,
  children,
}: {
  account: { address: string; displayName: string };
  folders: FolderDto[];
  view: MailView;
  list: ListPage;
  openId: string | null;
  openUnreadIds: string[];
  /** The account's change that can still be undone (shown again after a reload). */
  undo?: UndoDto | null;
  /** Reading pane and density, as the user last chose (layout-menu.tsx). */
  layout: MailLayout;
  children: ReactNode;
}) {
  const router = useRouter();
  const location = { folder: view.folderId, q: view.query || null };
  const listKey = `${view.folderId}|${view.query}`;
  const inbox = folders.find((f) => f.specialUse === "INBOX");

  // Pages loaded past the first, for the list they belong to.
  const [extra, setExtra] = useState<(ListPage & { key: string }) | null>(null);
  const [loading, setLoading] = useState(false);
  // Optimistic changes, dropped when the server's next list arrives.
  const [local, setLocal] = useState({
    list,
    hidden: new Set<string>(),
    flags: new Map<string, Partial<MessageRowDto>>(),
  });
  if (local.list !== list) setLocal({ list, hidden: new Set(), flags: new Map() });
  // all: "Select all N in this folder/search" was chosen (bulk-select.tsx).
  const [selection, setSelection] = useState({ key: listKey, ids: new Set<string>(), all: false });
  if (selection.key !== listKey) setSelection({ key: listKey, ids: new Set(), all: false });
  const selected = selection.ids;
  const [cursorId, setCursorId] = useState<string | null>(openId);
  const [toast, setToast] = useState<Toast>(() => ({
    text: pendingUndo?.label ?? "",
    undo: pendingUndo,
  }));
  const [helpOpen, setHelpOpen] = useState(false);
  const [foldersOpen, setFoldersOpen] = useState(false);
  const [live, setLive] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [folderError, setFolderError] = useState("");

  const mailLayout = useMailLayout(savedLayout);
  const conversations = mailLayout.layout.conversations;
  const extraPages = extra?.key === listKey ? extra : null;
  const seen = new Set<string>();
  const items: MessageRowDto[] = [];
  for (const row of [...list.items, ...(extraPages?.items ?? [])]) {
    // A thread whose search matches straddle two pages shows once.
    const key = conversations ? `${row.mailboxId}|${row.threadId}` : row.id;
    if (seen.has(key) || local.hidden.has(row.id)) continue;
    seen.add(key);
    const change = local.flags.get(row.id);
    items.push(change ? { ...row, ...change } : row);
  }
  const nextCursor = extraPages ? extraPages.nextCursor : list.nextCursor;
  const cursor = cursorId && items.some((m) => m.id === cursorId) ? cursorId : openId;

  // After a refresh, pages past the first are re-read from the new first
  // page's end, so nothing falls into a gap when new mail pushed rows down.
  const extraRef = useRef(extraPages);
  useEffect(() => {
    extraRef.current = extraPages;
  });
  useEffect(() => {
    const shown = extraRef.current;
    if (!shown || shown.items.length === 0 || !list.nextCursor) return;
    let cancelled = false;
    void loadMoreAction({
      folderId: view.folderId,
      conversations: savedLayout.conversations,
      query: view.query,
      cursor: list.nextCursor,
      limit: Math.min(shown.items.length, 200),
    }).then((page) => {
      if (!cancelled) setExtra({ key: shown.key, ...page });
    });
    return () => {
      cancelled = true;
    };
  }, [list, view.folderId, view.query, savedLayout.conversations]);

  const loadMore = useCallback(async () => {
    if (loading || !nextCursor) return;
    setLoading(true);
    try {
      const page = await loadMoreAction({
        folderId: view.folderId,
        conversations: savedLayout.conversations,
        query: view.query,
        cursor: nextCursor,
      });
      setExtra((current) => ({
        key: listKey,
        items: [...(current?.key === listKey ? current.items : []), ...page.items],
        nextCursor: page.nextCursor,
      }));
    } finally {
      setLoading(false);
    }
  }, [loading, nextCursor, view.folderId, view.query, listKey, savedLayout.conversations]);

  const say = useCallback(
    (text: string, undo: UndoDto | null = null) => setToast({ text, undo }),
    [],
  );
  useEffect(() => {
    if (!toast.text) return;
    // An Undo stays for its window; other news for 5 s.
    const timer = setTimeout(
      () => setToast({ text: "", undo: null }),
      toast.undo?.expiresInMs ?? 5000,
    );
    return () => clearTimeout(timer);
  }, [toast]);

  const runBulk = useBulkJob(say);
  /** With "select all N" chosen, the action runs as one server job; true when it did. */
  const bulk = (change: BulkChange) => {
    if (!selection.all) return false;
    setSelection((s) => ({ ...s, ids: new Set(), all: false }));
    void runBulk(
      { folderId: view.folderId, query: view.query },
      change,
      view.query ? 0 : (folders.find((f) => f.id === view.folderId)?.total ?? 0),
    );
    return true;
  };

  const undoLast = async (undo: UndoDto) => {
    setToast({ text: "Undoing…", undo: null });
    const result = await undoAction(undo.id);
    say(result.ok ? "Undone." : result.error);
    router.refresh();
  };

  const open = useCallback(
    (id: string | null) => {
      if (id) setCursorId(id);
      router.push(mailHref({ ...location, m: id }), { scroll: false });
    },
    // location is rebuilt each render from these two.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [router, view.folderId, view.query],
  );

  /** The messages rows stand for: with conversations, each row's thread in its folder. */
  const membersOf = (rowIds: string[]): string[] => [
    ...new Set(rowIds.flatMap((id) => items.find((m) => m.id === id)?.memberIds ?? [id])),
  ];
  /** What an action applies to: the checked rows, else the open message, else the cursor row. */
  const targets = (): string[] => {
    if (selected.size > 0) return membersOf([...selected]);
    if (openId) return membersOf([openId]);
    return cursor ? membersOf([cursor]) : [];
  };

  const report = (
    result: ActionResult | ChangeResult,
    done: string,
    undo: UndoDto | null = null,
  ) => {
    if (result.ok)
      say("label" in result ? result.label : done, "undo" in result ? result.undo : undo);
    else {
      say(result.error);
      router.refresh();
    }
  };

  const changeFlags = async (ids: string[], change: FlagChange, undoable = false) => {
    if (ids.length === 0) return;
    if (change.seen !== undefined && bulk({ kind: "seen", seen: change.seen })) return;
    setLocal((l) => {
      const flags = new Map(l.flags);
      for (const id of ids) flags.set(id, { ...flags.get(id), ...change });
      return { ...l, flags };
    });
    setExtra((e) =>
      e ? { ...e, items: e.items.map((m) => (ids.includes(m.id) ? { ...m, ...change } : m)) } : e,
    );
    const n = ids.length === 1 ? "Message" : `${ids.length} messages`;
    const result = await sendFlagChange(ids, { ...change, undo: undoable });
    report(
      result,
      change.seen !== undefined
        ? `${n} marked as ${change.seen ? "read" : "unread"}.`
        : `${n} ${change.flagged ? "flagged" : "unflagged"}.`,
      result.ok ? (result.undo ?? null) : null,
    );
    // Folder unread counts come from the server: re-read them once the
    // tab's last queued change has landed.
    if (result.ok && flagChangesSettled()) router.refresh();
  };

  const toggleFlag = (ids: string[]) => {
    const rows = items.filter((m) => ids.includes(m.id));
    const allFlagged = rows.length > 0 && rows.every((m) => m.flagged);
    return changeFlags(ids, { flagged: !allFlagged });
  };

  const remove = async (ids: string[], how: Removal) => {
    if (ids.length === 0) return;
    if (bulk(typeof how === "string" ? { kind: how } : { kind: "move", folderId: how.folderId })) {
      return;
    }
    setLocal((l) => ({ ...l, hidden: new Set([...l.hidden, ...ids]) }));
    setExtra((e) => (e ? { ...e, items: e.items.filter((m) => !ids.includes(m.id)) } : e));
    setSelection((s) => ({ ...s, ids: new Set() }));
    if (openId && ids.includes(openId)) {
      // Like Outlook: the next (older) message opens in its place.
      const at = items.findIndex((m) => m.id === openId);
      const next = items.slice(at + 1).find((m) => !ids.includes(m.id)) ?? null;
      open(next?.id ?? null);
    }
    const result =
      how === "archive"
        ? await archiveAction(ids)
        : how === "delete"
          ? await deleteAction(ids)
          : how === "junk" || how === "not-junk"
            ? await junkAction(ids, how === "junk")
            : await moveAction(ids, how.folderId);
    if (!result.ok) {
      setLocal((l) => ({ ...l, hidden: new Set([...l.hidden].filter((id) => !ids.includes(id))) }));
    }
    report(result, "");
  };

  // Opening a conversation marks its unread messages read (once per opening,
  // so "mark unread" on an open message sticks).
  const marked = useRef<string | null>(null);
  useEffect(() => {
    if (!openId || marked.current === openId) return;
    marked.current = openId;
    if (openUnreadIds.length === 0) return;
    void sendFlagChange(openUnreadIds, { seen: true }).then((result) => {
      if (!result.ok || flagChangesSettled()) router.refresh();
    });
  }, [openId, openUnreadIds, router]);

  // Live updates: any change to this account's mail re-reads the page.
  useEffect(() => {
    const source = new EventSource("/api/events");
    let timer: ReturnType<typeof setTimeout> | undefined;
    let readyCount = 0;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(() => router.refresh(), 200);
    };
    source.addEventListener("change", refresh);
    source.addEventListener("ready", () => {
      setLive(true);
      // After a reconnect, changes may have been missed.
      if (++readyCount > 1) refresh();
    });
    source.addEventListener("error", () => setLive(false));
    return () => {
      clearTimeout(timer);
      source.close();
    };
  }, [router]);

  const title = view.query ? "Search results" : view.folderName;
  useEffect(() => {
    const unread = inbox?.unread ?? 0;
    document.title = `${unread > 0 ? `(${unread}) ` : ""}${title} · Mail`;
  }, [inbox?.unread, title]);

  const focusRow = (id: string) => {
    const link = document.querySelector<HTMLElement>(`[data-message-id="${id}"] .row-link`);
    link?.focus();
    link?.scrollIntoView({ block: "nearest" });
  };

  const step = (delta: 1 | -1) => {
    if (items.length === 0) return;
    const from = openId ?? cursor;
    const at = items.findIndex((m) => m.id === from);
    const next = items[at === -1 ? 0 : Math.min(items.length - 1, Math.max(0, at + delta))]!;
    if (openId) open(next.id);
    else {
      setCursorId(next.id);
      focusRow(next.id);
    }
    if (delta === 1 && at >= items.length - 3) void loadMore();
  };

  const toggleSelect = (id: string) =>
    setSelection((s) => {
      const ids = new Set(s.ids);
      if (ids.has(id)) ids.delete(id);
      else ids.add(id);
      return { ...s, ids, all: false };
    });

  // The keyboard handler sees the latest state through a ref.
  const onKey = useRef<(e: KeyboardEvent) => void>(() => {});
  useEffect(() => {
    onKey.current = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || helpOpen) return;
      if (isTyping(e.target)) {
        if (e.key === "Escape") (e.target as HTMLElement).blur();
        return;
      }
      const onControl =
        e.target instanceof HTMLElement && e.target.closest("a, button, summary") !== null;
      const handled = () => e.preventDefault();
      switch (e.key) {
        case "j":
          handled();
          return step(1);
        case "k":
          handled();
          return step(-1);
        case "Enter":
          if (onControl) return; // the focused link or button handles its own Enter
          if (cursor) open(cursor);
          return handled();
        case "o":
          if (cursor) open(cursor);
          return handled();
        case "u":
        case "Escape":
          if (openId) {
            handled();
            open(null);
            setTimeout(() => focusRow(openId), 50);
          }
          return;
        case "x":
          if (cursor) {
            handled();
            toggleSelect(cursor);
          }
          return;
        case "e":
          handled();
          return void remove(targets(), "archive");
        case "#":
        case "Delete":
          handled();
          return void remove(targets(), "delete");
        case "!":
          handled();
          return void remove(targets(), view.specialUse === "JUNK" ? "not-junk" : "junk");
        case "s":
          handled();
          return void toggleFlag(targets());
        case "I":
          handled();
          return void changeFlags(targets(), { seen: true }, true);
        case "U":
          handled();
          return void changeFlags(targets(), { seen: false }, true);
        case "z":
          if (toast.undo) {
            handled();
            void undoLast(toast.undo);
          }
          return;
        case "/":
          handled();
          document.getElementById("mail-search")?.focus();
          return;
        case "?":
          handled();
          setHelpOpen(true);
          return;
      }
    };
  });
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey.current(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const folderAction = async (work: Promise<ActionResult>, done: string, after?: () => void) => {
    const result = await work;
    if (result.ok) {
      setFolderError("");
      say(done);
      after?.();
    } else setFolderError(result.error);
    return result;
  };

  const currentFolder = folders.find((f) => f.id === view.folderId) ?? null;
  const isUserFolder = !view.query && currentFolder !== null && currentFolder.specialUse === null;
  const canEmpty = !view.query && (view.specialUse === "TRASH" || view.specialUse === "JUNK");
  const hasTargets = selected.size > 0 || openId !== null || cursor !== null;
  const allSelected = items.length > 0 && items.every((m) => selected.has(m.id));

  return (
    <div
      className="mail-app"
      data-pane={openId ? "message" : "list"}
      data-folders-open={foldersOpen ? "true" : undefined}
      data-live={live ? "ready" : "off"}
      data-reading-pane={mailLayout.layout.readingPane}
      data-density={mailLayout.layout.density}
    >
      <header className="mail-top">
        <button
          type="button"
          className="icon-button narrow-only"
          aria-label="Folders"
          aria-expanded={foldersOpen}
          onClick={() => setFoldersOpen((o) => !o)}
        >
          <Icon name="menu" />
        </button>
        <strong className="brand">Mail</strong>
        <ComposeHost />
        <form
          role="search"
          className="search-form"
          onSubmit={(e) => {
            e.preventDefault();
            const q = (new FormData(e.currentTarget).get("q") as string | null)?.trim() ?? "";
            router.push(q ? mailHref({ q }) : mailHref({ folder: view.folderId ?? inbox?.id }));
          }}
        >
          <label htmlFor="mail-search" className="visually-hidden">
            Search mail
          </label>
          <input
            id="mail-search"
            key={view.query}
            name="q"
            type="search"
            defaultValue={view.query}
            placeholder="Search (from: to: subject: has:attachment is:unread in: before: after:)"
            autoComplete="off"
          />
          <button type="submit" className="button small">
            Search
          </button>
        </form>
        <span className="who" data-testid="signed-in-as">
          {account.displayName ? `${account.displayName} · ` : ""}
          {account.address}
        </span>
        <button
          type="button"
          className="icon-button help-button"
          aria-label="Keyboard shortcuts"
          onClick={() => setHelpOpen(true)}
        >
          <span aria-hidden="true">?</span>
        </button>
        <a
          className="icon-button settings-link"
          href="/settings"
          aria-label="Settings"
          title="Settings"
        >
          <Icon name="settings" />
        </a>
        <SignOutButton />
      </header>
      <main className="mail-panes">
        <FolderPane
          folders={folders}
          currentId={view.query ? null : view.folderId}
          onNavigate={() => setFoldersOpen(false)}
          onDropMessages={(ids, folderId) => void remove(ids, { folderId })}
          onCreate={async (name) => {
            const result = await createFolderAction(name);
            if (result.ok) say(`Folder “${name.trim()}” created.`);
            return result.ok ? null : result.error;
          }}
        />
        <section className="list-pane" aria-labelledby="list-title">
          <div className="list-header">
            <h1 id="list-title">{title}</h1>
            {view.query ? (
              <a
                className="button small quiet"
                href={mailHref({ folder: inbox?.id })}
                onClick={(e) => {
                  e.preventDefault();
                  router.push(mailHref({ folder: inbox?.id }));
                }}
              >
                Clear search
              </a>
            ) : null}
            {isUserFolder && !renaming ? (
              <>
                <button
                  type="button"
                  className="button small quiet"
                  onClick={() => setRenaming(true)}
                >
                  Rename folder
                </button>
                <button
                  type="button"
                  className="button small quiet"
                  onClick={() => {
                    if (
                      !window.confirm(
                        `Delete the folder “${currentFolder.name}”? Its messages move to Trash.`,
                      )
                    )
                      return;
                    void folderAction(
                      deleteFolderAction(currentFolder.id),
                      `Folder “${currentFolder.name}” deleted.`,
                      () => router.push(mailHref({ folder: inbox?.id })),
                    );
                  }}
                >
                  Delete folder
                </button>
              </>
            ) : null}
            {canEmpty ? (
              <button
                type="button"
                className="button small quiet"
                disabled={items.length === 0}
                onClick={() => {
                  if (!window.confirm(`Delete everything in ${view.folderName} for good?`)) return;
                  void folderAction(
                    emptyFolderAction(view.folderId!),
                    `${view.folderName} emptied.`,
                  );
                }}
              >
                Empty {view.folderName}
              </button>
            ) : null}
            <LayoutMenu
              layout={mailLayout.layout}
              onChange={(next) =>
                void mailLayout.change(next).then(() => {
                  // Rows come from the server: re-read the list the other way.
                  if (next.conversations !== undefined) router.refresh();
                })
              }
            />
          </div>
          {mailLayout.error ? (
            <p className="field-error" role="alert">
              {mailLayout.error}
            </p>
          ) : null}
          {renaming && currentFolder ? (
            <form
              className="folder-form inline"
              onSubmit={async (e) => {
                e.preventDefault();
                const name = (new FormData(e.currentTarget).get("name") as string) ?? "";
                const result = await folderAction(
                  renameFolderAction(currentFolder.id, name),
                  "Folder renamed.",
                );
                if (result.ok) setRenaming(false);
              }}
            >
              <label htmlFor="rename-folder">New name</label>
              <input
                id="rename-folder"
                name="name"
                defaultValue={currentFolder.name}
                autoFocus
                maxLength={200}
              />
              <button type="submit" className="button small">
                Rename
              </button>
              <button
                type="button"
                className="button small quiet"
                onClick={() => setRenaming(false)}
              >
                Cancel
              </button>
            </form>
          ) : null}
          {folderError ? (
            <p className="field-error" role="alert">
              {folderError}
            </p>
          ) : null}
          {view.unknownFolder !== null ? (
            <p className="notice" role="alert">
              There is no folder named “{view.unknownFolder}”.
            </p>
          ) : null}
          <div className="toolbar" role="toolbar" aria-label="Message actions">
            <input
              type="checkbox"
              aria-label="Select all"
              checked={allSelected}
              onChange={() =>
                setSelection((s) => ({
                  ...s,
                  ids: allSelected ? new Set() : new Set(items.map((m) => m.id)),
                  all: false,
                }))
              }
            />
            <button
              type="button"
              disabled={!hasTargets}
              onClick={() => void changeFlags(targets(), { seen: true }, true)}
            >
              Mark read
            </button>
            <button
              type="button"
              disabled={!hasTargets}
              onClick={() => void changeFlags(targets(), { seen: false }, true)}
            >
              Mark unread
            </button>
            <button type="button" disabled={!hasTargets} onClick={() => void toggleFlag(targets())}>
              Flag
            </button>
            <button
              type="button"
              disabled={!hasTargets}
              onClick={() => void remove(targets(), "archive")}
            >
              Archive
            </button>
            <button
              type="button"
              disabled={!hasTargets}
              onClick={() => void remove(targets(), "delete")}
            >
              {view.specialUse === "TRASH" ? "Delete forever" : "Delete"}
            </button>
            <button
              type="button"
              disabled={!hasTargets}
              onClick={() =>
                void remove(targets(), view.specialUse === "JUNK" ? "not-junk" : "junk")
              }
            >
              {view.specialUse === "JUNK" ? "Not junk" : "Junk"}
            </button>
            <label className="visually-hidden" htmlFor="move-to">
              Move to folder
            </label>
            <select
              id="move-to"
              value=""
              disabled={!hasTargets}
              onChange={(e) => {
                const folderId = e.target.value;
                if (folderId) void remove(targets(), { folderId });
              }}
            >
              <option value="">Move to…</option>
              {folders
                .filter((f) => f.id !== view.folderId)
                .map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
            </select>
          </div>
          {allSelected && (nextCursor !== null || selection.all) ? (
            <SelectAllBanner
              shown={items.length}
              total={view.query ? null : (currentFolder?.total ?? null)}
              where={view.query ? "that match this search" : `in ${view.folderName}`}
              all={selection.all}
              onSelectAll={() => setSelection((s) => ({ ...s, all: true }))}
              onClear={() => setSelection((s) => ({ ...s, ids: new Set(), all: false }))}
            />
          ) : null}
          <MessageList
            items={items}
            location={location}
            openId={openId}
            cursorId={cursor}
            selected={selected}
            showRecipient={
              !view.query && (view.specialUse === "SENT" || view.specialUse === "DRAFTS")
            }
            hasMore={nextCursor !== null}
            loading={loading}
            emptyText={view.query ? "No messages match your search." : `${title} is empty.`}
            onOpen={open}
            onToggleSelect={toggleSelect}
            onToggleFlag={(row) => void changeFlags(row.memberIds, { flagged: !row.flagged })}
            dragIds={(id) => membersOf(selected.has(id) ? [...selected] : [id])}
            onLoadMore={loadMore}
          />
        </section>
        <section className="reading-pane" aria-label="Reading pane">
          {openId ? (
            <>
              <button
                type="button"
                className="button small quiet back-button"
                onClick={() => open(null)}
              >
                <Icon name="back" /> Back to {title}
              </button>
              {children}
            </>
          ) : (
            <p className="empty-state">Select a message to read it.</p>
          )}
        </section>
      </main>
      <ShortcutHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
      <UndoToast toast={toast} onUndo={(undo) => void undoLast(undo)} />
    </div>
  );
}
