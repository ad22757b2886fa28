"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { LABEL_COLORS, labelsOf } from "@/lib/labels/keywords";
import {
  createLabelAction,
  labelAction,
  pinAction,
  snoozeAction,
  unsnoozeAction,
  unsubscribeAction,
  type ToolResult,
} from "../message-tools-actions";
import { useLabels } from "./label-context";
import { LocalTime } from "./local-time";
import { snoozeChoices, toLocalInputValue } from "./snooze-times";

const COLOR_NAMES = ["Grey", "Red", "Orange", "Yellow", "Green", "Teal", "Blue", "Purple", "Pink"];

/**
 * The open message's tools above the conversation: snooze (with the
 * Snoozed view's "Unsnooze"), pin, labels, unsubscribe (list mail). Times are chosen in the browser's own
 * time zone and travel as ISO instants.
 */
export function MessageTools({
  messageId,
  messageIds,
  pinned,
  snoozedUntil,
  keywords,
  unsubscribe,
  listHref,
}: {
  messageId: string;
  /** What snooze, pin and labels apply to: the open message, or its thread in the folder (conversations). */
  messageIds: string[];
  keywords: string[];
  /** What the list offers: one-click, a mailto: address, a web page; null for no list. */
  unsubscribe: { oneClick: boolean; mailto: string | null; link: string | null } | null;
  pinned: boolean;
  snoozedUntil: string | null;
  /** Where to go once the message has left the list (snoozed). */
  listHref: string;
}) {
  const router = useRouter();
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [custom, setCustom] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [labelsOpen, setLabelsOpen] = useState(false);
  const [unsubscribed, setUnsubscribed] = useState("");
  const defs = useLabels();
  const onMessage = new Set(labelsOf(keywords, defs).map((l) => l.keyword.toLowerCase()));
  // The account's labels, then labels of this message nobody defined (set over IMAP).
  const choices = [
    ...defs,
    ...labelsOf(keywords, []).filter(
      (l) => !defs.some((d) => d.keyword.toLowerCase() === l.keyword.toLowerCase()),
    ),
  ];

  const run = async (work: Promise<ToolResult>, after?: () => void) => {
    setBusy(true);
    try {
      const result = await work;
      if (result.ok) {
        setError("");
        after?.();
      } else setError(result.error);
    } finally {
      setBusy(false);
    }
  };
  const snooze = (until: Date) =>
    run(snoozeAction(messageIds, until.toISOString()), () => {
      setSnoozeOpen(false);
      router.push(listHref);
    });

  return (
    <div className="message-tools" role="group" aria-label="Message tools">
      {snoozedUntil ? (
        <p className="snoozed-note">
          Snoozed until <LocalTime iso={snoozedUntil} />.{" "}
          <button
            type="button"
            className="button small quiet"
            disabled={busy}
            onClick={() => void run(unsnoozeAction(messageIds), () => router.push(listHref))}
          >
            Unsnooze
          </button>
        </p>
      ) : null}
      <button
        type="button"
        className="button small quiet"
        aria-expanded={snoozeOpen}
        aria-controls="snooze-menu"
        onClick={() => setSnoozeOpen((o) => !o)}
      >
        {snoozedUntil ? "Change snooze" : "Snooze"}
      </button>
      <button
        type="button"
        className="button small quiet"
        aria-pressed={pinned}
        disabled={busy}
        onClick={() => void run(pinAction(messageIds, !pinned), () => router.refresh())}
      >
        {pinned ? "Unpin" : "Pin"}
      </button>
      <button
        type="button"
        className="button small quiet"
        aria-expanded={labelsOpen}
        aria-controls="label-menu"
        onClick={() => setLabelsOpen((o) => !o)}
      >
        Labels
      </button>
      {unsubscribe && !unsubscribed ? (
        unsubscribe.oneClick || unsubscribe.mailto ? (
          <button
            type="button"
            className="button small quiet"
            disabled={busy}
            onClick={() => {
              const how = unsubscribe.oneClick
                ? "The list's server will be told to remove you."
                : `An unsubscribe message will be sent to ${unsubscribe.mailto}.`;
              if (!window.confirm(`Unsubscribe from this list? ${how}`)) return;
              void run(unsubscribeAction(messageId), () =>
                setUnsubscribed(
                  unsubscribe.oneClick
                    ? "You are unsubscribed."
                    : `Unsubscribe request sent to ${unsubscribe.mailto}.`,
                ),
              );
            }}
          >
            Unsubscribe
          </button>
        ) : unsubscribe.link ? (
          <a
            className="button small quiet"
            href={unsubscribe.link}
            target="_blank"
            rel="noopener noreferrer nofollow"
          >
            Unsubscribe
          </a>
        ) : null
      ) : null}
      {unsubscribed ? (
        <p className="notice" role="status">
          {unsubscribed}
        </p>
      ) : null}
      {labelsOpen ? (
        <div id="label-menu" className="snooze-menu" role="group" aria-label="Labels">
          {choices.map((l) => (
            <label key={l.keyword} className="label-choice">
              <input
                type="checkbox"
                checked={onMessage.has(l.keyword.toLowerCase())}
                disabled={busy}
                onChange={(e) =>
                  void run(labelAction(messageIds, l.keyword, e.target.checked), () =>
                    router.refresh(),
                  )
                }
              />
              <span
                className="label-dot"
                aria-hidden="true"
                style={{ ["--label-color" as string]: l.color }}
              />
              {l.name}
            </label>
          ))}
          <form
            className="snooze-custom"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              const name = String(form.get("name") ?? "");
              const color = String(form.get("color") ?? "");
              const target = e.currentTarget;
              void run(createLabelAction(name, color, messageIds), () => {
                target.reset();
                router.refresh();
              });
            }}
          >
            <label htmlFor="new-label-name">New label</label>
            <input id="new-label-name" name="name" maxLength={64} required />
            <label htmlFor="new-label-color">Colour</label>
            <select id="new-label-color" name="color" defaultValue={LABEL_COLORS[6]}>
              {LABEL_COLORS.map((c, i) => (
                <option key={c} value={c}>
                  {COLOR_NAMES[i]}
                </option>
              ))}
            </select>
            <button type="submit" className="button small" disabled={busy}>
              Create label
            </button>
          </form>
        </div>
      ) : null}
      {snoozeOpen ? (
        <div id="snooze-menu" className="snooze-menu" role="group" aria-label="Snooze until">
          {snoozeChoices(new Date()).map((choice) => (
            <button
              key={choice.label}
              type="button"
              className="button small quiet"
              disabled={busy}
              onClick={() => void snooze(choice.at)}
            >
              {choice.label} <span className="muted">{choice.hint}</span>
            </button>
          ))}
          <form
            className="snooze-custom"
            onSubmit={(e) => {
              e.preventDefault();
              const at = new Date(custom);
              if (!custom || Number.isNaN(at.getTime())) setError("Choose a date and time.");
              else void snooze(at);
            }}
          >
            <label htmlFor="snooze-at">Pick a date and time</label>
            <input
              id="snooze-at"
              type="datetime-local"
              value={custom}
              min={toLocalInputValue(new Date())}
              onChange={(e) => setCustom(e.target.value)}
            />
            <button type="submit" className="button small" disabled={busy}>
              Snooze
            </button>
          </form>
        </div>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
