"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { queueAction, type QueueActionState } from "./actions";

export type QueueRowDto = {
  id: string;
  recipient: string;
  mailFrom: string;
  status: string;
  attempts: number;
  lastReply: string;
  nextAttemptAt: string;
  createdAt: string;
  leased: boolean;
  waiting: boolean;
};

export type QueueFilterDto = { status?: string; domain?: string; search?: string };

type Verb = "retry" | "bounce" | "delete";
const VERBS: { verb: Verb; label: string; confirm?: string }[] = [
  { verb: "retry", label: "Retry now" },
  { verb: "bounce", label: "Bounce now", confirm: "Give up and send the senders a bounce?" },
  { verb: "delete", label: "Delete", confirm: "Delete without telling the senders?" },
];

export function QueueTable({
  rows,
  filter,
  total,
}: {
  rows: QueueRowDto[];
  filter: QueueFilterDto;
  total: number;
}) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<QueueActionState | null>(null);
  const [pending, startTransition] = useTransition();

  const act = (
    verb: Verb,
    target: { ids: string[] } | { filter: QueueFilterDto },
    what: string,
  ) => {
    const spec = VERBS.find((v) => v.verb === verb)!;
    if (spec.confirm && !window.confirm(`${what}: ${spec.confirm}`)) return;
    startTransition(async () => {
      const result = await queueAction(verb, target);
      setOutcome(result);
      setSelected(new Set());
      router.refresh();
    });
  };
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  return (
    <>
      {outcome ? (
        <p role="status" className={outcome.ok ? "admin-ok" : "admin-error"}>
          {outcome.ok ? outcome.message : outcome.error}
        </p>
      ) : null}
      <div role="toolbar" aria-label="Bulk actions" className="queue-bulk">
        <span>All {total} matching:</span>
        {VERBS.map((v) => (
          <button
            key={`all-${v.verb}`}
            type="button"
            disabled={pending || total === 0}
            onClick={() => act(v.verb, { filter }, `All ${total} matching`)}
          >
            {v.label} (all matching)
          </button>
        ))}
        <span>Selected ({selected.size}):</span>
        {VERBS.map((v) => (
          <button
            key={`sel-${v.verb}`}
            type="button"
            disabled={pending || selected.size === 0}
            onClick={() => act(v.verb, { ids: [...selected] }, `${selected.size} selected`)}
          >
            {v.label} (selected)
          </button>
        ))}
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Select</span>
            </th>
            <th scope="col">Recipient</th>
            <th scope="col">Sender</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last reply</th>
            <th scope="col">Next attempt</th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="queue-row" data-status={r.status}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${r.recipient}`}
                  checked={selected.has(r.id)}
                  disabled={!r.waiting}
                  onChange={(e) => toggle(r.id, e.target.checked)}
                />
              </td>
              <th scope="row">{r.recipient}</th>
              <td>{r.mailFrom || "<> (bounce)"}</td>
              <td>
                {r.status}
                {r.leased ? " (sending now)" : ""}
              </td>
              <td>{r.attempts}</td>
              <td className="queue-reply">{r.lastReply || "—"}</td>
              <td>{r.nextAttemptAt || "—"}</td>
              <td>{r.createdAt}</td>
              <td>
                {r.waiting
                  ? VERBS.map((v) => (
                      <button
                        key={v.verb}
                        type="button"
                        disabled={pending || r.leased}
                        aria-label={`${v.label}: ${r.recipient}`}
                        onClick={() => act(v.verb, { ids: [r.id] }, r.recipient)}
                      >
                        {v.label}
                      </button>
                    ))
                  : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
