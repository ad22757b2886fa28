"use client";

// "Select all N in this folder / search" (Gmail's banner above the list once
// every loaded row is checked) and the bulk job that then runs the action on
// the server (POST /api/messages/bulk, one request whatever N is), with its
// progress polled into the toast until it is done.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef } from "react";

export type BulkChange =
  | { kind: "archive" }
  | { kind: "delete" }
  | { kind: "junk" }
  | { kind: "not-junk" }
  | { kind: "move"; folderId: string }
  | { kind: "seen"; seen: boolean };

export type BulkScope = { folderId: string | null; query: string };

type Progress = {
  status: "running" | "done" | "failed";
  done: number;
  total: number;
  label: string;
  error: string | null;
};

const POLL_MS = 700;

export function SelectAllBanner({
  shown,
  total,
  where,
  all,
  onSelectAll,
  onClear,
}: {
  /** Rows checked (every loaded row). */
  shown: number;
  /** How many the folder holds; null for a search (unknown until run). */
  total: number | null;
  /** "in Inbox", "that match this search". */
  where: string;
  all: boolean;
  onSelectAll: () => void;
  onClear: () => void;
}) {
  return (
    <p className="select-all-banner" data-testid="select-all-banner">
      {all ? (
        <>
          {total === null
            ? `All messages ${where} are selected.`
            : `All ${total.toLocaleString()} messages ${where} are selected.`}{" "}
          <button type="button" className="link-button" onClick={onClear}>
            Clear selection
          </button>
        </>
      ) : (
        <>
          {`All ${shown} shown are selected.`}{" "}
          <button type="button" className="link-button" onClick={onSelectAll}>
            {total === null
              ? `Select all messages ${where}`
              : `Select all ${total.toLocaleString()} ${where}`}
          </button>
        </>
      )}
    </p>
  );
}

/** Starts bulk jobs and reports their progress through `say` until each is done. */
export function useBulkJob(say: (text: string) => void) {
  const router = useRouter();
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  return useCallback(
    async (scope: BulkScope, change: BulkChange, total: number) => {
      say("Starting…");
      let id: string;
      try {
        const response = await fetch("/api/messages/bulk", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...scope, change, total }),
        });
        if (!response.ok) {
          say((await response.text()) || `The action was not started (HTTP ${response.status}).`);
          return;
        }
        id = ((await response.json()) as { id: string }).id;
      } catch {
        say("The action could not reach the server. Try again.");
        return;
      }
      while (alive.current) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        let progress: Progress;
        try {
          const response = await fetch(`/api/messages/bulk/${id}`, { cache: "no-store" });
          if (!response.ok) continue;
          progress = (await response.json()) as Progress;
        } catch {
          continue; // the job runs on the server; ask again
        }
        if (progress.status === "done") {
          say(progress.label);
          router.refresh();
          return;
        }
        if (progress.status === "failed") {
          say(progress.error ?? "The action failed.");
          router.refresh();
          return;
        }
        say(
          progress.total > 0
            ? `Working… ${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}`
            : `Working… ${progress.done.toLocaleString()} so far`,
        );
      }
    },
    [say, router],
  );
}
