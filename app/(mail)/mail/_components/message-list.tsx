"use client";

import { useEffect, useRef } from "react";
import type { MessageRowDto } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { DRAG_TYPE } from "./folder-pane";
import { LabelChips } from "./label-context";
import { LocalTime } from "./local-time";
import { mailHref, type MailLocation } from "./mail-url";

/**
 * The message list: one page at a time from the server (keyset pages), the
 * next one fetched when the end of the list scrolls into view. With
 * conversations on, a row is a thread in the folder: its senders, its count.
 */
export function MessageList({
  items,
  location,
  openId,
  cursorId,
  selected,
  showRecipient,
  hasMore,
  loading,
  emptyText,
  onOpen,
  onToggleSelect,
  onToggleFlag,
  dragIds,
  onLoadMore,
}: {
  items: MessageRowDto[];
  location: MailLocation;
  openId: string | null;
  cursorId: string | null;
  selected: Set<string>;
  showRecipient: boolean;
  hasMore: boolean;
  loading: boolean;
  emptyText: string;
  onOpen: (id: string) => void;
  onToggleSelect: (id: string) => void;
  onToggleFlag: (row: MessageRowDto) => void;
  dragIds: (id: string) => string[];
  onLoadMore: () => void;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onLoadMore();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, onLoadMore]);

  if (items.length === 0) {
    return <p className="empty-state">{emptyText}</p>;
  }
  return (
    <div className="list-scroll">
      <ul className="message-list" aria-label="Messages">
        {items.map((m, i) => {
          const who = showRecipient
            ? m.toName
              ? `To: ${m.toName}`
              : "(no recipient)"
            : m.participants.length > 1
              ? m.participants.join(", ")
              : m.fromName || m.fromAddress;
          const subject = m.subject || "(no subject)";
          const classes = ["message-row"];
          if (!m.seen) classes.push("unread");
          if (m.id === cursorId) classes.push("cursor");
          if (selected.has(m.id)) classes.push("selected");
          const pinnedHeading = m.pinned && i === 0;
          const restHeading = !m.pinned && i > 0 && items[i - 1]!.pinned;
          return (
            <li
              key={m.id}
              data-section={pinnedHeading ? "Pinned" : restHeading ? "Everything else" : undefined}
              className={classes.join(" ")}
              data-testid="message-row"
              data-message-id={m.id}
              aria-current={m.id === openId ? "true" : undefined}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(dragIds(m.id)));
                e.dataTransfer.effectAllowed = "move";
              }}
            >
              <input
                type="checkbox"
                className="row-check"
                checked={selected.has(m.id)}
                onChange={() => onToggleSelect(m.id)}
                aria-label={`Select: ${subject}`}
              />
              <a
                className="row-link"
                href={mailHref({ ...location, m: m.id })}
                onClick={(e) => {
                  if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  onOpen(m.id);
                }}
              >
                <span className="row-from">
                  {!m.seen ? <span className="visually-hidden">Unread, </span> : null}
                  {who}
                  {m.messageCount > 1 ? (
                    <span className="row-count" data-testid="row-count">
                      <span aria-hidden="true">{m.messageCount}</span>
                      <span className="visually-hidden">, {m.messageCount} messages</span>
                    </span>
                  ) : null}
                </span>
                <span className="row-date">
                  {m.pinned ? <span className="visually-hidden">Pinned, </span> : null}
                  {m.snoozedUntil ? (
                    <span className="row-snoozed">
                      Until <LocalTime iso={m.snoozedUntil} />
                    </span>
                  ) : (
                    <LocalTime iso={m.receivedAt} />
                  )}
                </span>
                <span className="row-subject">{subject}</span>
                <span className="row-snippet">{m.snippet}</span>
                <LabelChips keywords={m.keywords} />
                {m.hasAttachments ? (
                  <span className="row-attachment" title="Has attachments">
                    <Icon name="attachment" />
                    <span className="visually-hidden">, has attachments</span>
                  </span>
                ) : null}
              </a>
              <button
                type="button"
                className={`flag-button${m.flagged ? " on" : ""}`}
                aria-pressed={m.flagged}
                aria-label={m.flagged ? `Unflag: ${subject}` : `Flag: ${subject}`}
                onClick={() => onToggleFlag(m)}
              >
                <Icon name={m.flagged ? "flag" : "flagOutline"} />
              </button>
            </li>
          );
        })}
      </ul>
      {hasMore ? (
        <div ref={sentinel} className="load-more">
          <button
            type="button"
            className="button small quiet"
            onClick={onLoadMore}
            disabled={loading}
          >
            {loading ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </div>
  );
}
