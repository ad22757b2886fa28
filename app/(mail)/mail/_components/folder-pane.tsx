"use client";

import Link from "next/link";
import { useState } from "react";
import type { FolderDto } from "@/app/_server/mail";
import { LabelLinks } from "./label-context";
import { mailHref } from "./mail-url";

export const DRAG_TYPE = "application/x-mail-ids";

/** Folder list with unread counts; each folder is a drop target for dragged messages. */
export function FolderPane({
  folders,
  currentId,
  onDropMessages,
  onCreate,
  onNavigate,
}: {
  folders: FolderDto[];
  currentId: string | null;
  onDropMessages: (ids: string[], folderId: string) => void;
  onCreate: (name: string) => Promise<string | null>;
  onNavigate: () => void;
}) {
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState("");

  return (
    <nav className="folder-pane" aria-label="Folders">
      <ul className="folders">
        {folders.map((f) => {
          const depth = f.specialUse ? 0 : f.name.split("/").length - 1;
          const label = f.specialUse ? f.name : f.name.split("/").pop();
          return (
            <li key={f.id}>
              <Link
                href={mailHref({ folder: f.id })}
                className={`folder${dropTarget === f.id ? " drop-target" : ""}${f.unread > 0 ? " has-unread" : ""}`}
                aria-current={f.id === currentId ? "page" : undefined}
                style={depth ? { paddingLeft: `${12 + depth * 14}px` } : undefined}
                title={f.name}
                data-folder-id={f.id}
                onClick={onNavigate}
                onDragOver={(e) => {
                  if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
                  e.preventDefault();
                  e.dataTransfer.dropEffect = "move";
                  setDropTarget(f.id);
                }}
                onDragLeave={() => setDropTarget((t) => (t === f.id ? null : t))}
                onDrop={(e) => {
                  e.preventDefault();
                  setDropTarget(null);
                  try {
                    const ids = JSON.parse(e.dataTransfer.getData(DRAG_TYPE)) as unknown;
                    if (Array.isArray(ids))
                      onDropMessages(
                        ids.filter((x) => typeof x === "string"),
                        f.id,
                      );
                  } catch {
                    // Not our drag data: nothing to move.
                  }
                }}
              >
                <span className="folder-name">{label}</span>
                {f.unread > 0 ? (
                  <span className="count">
                    {f.unread}
                    <span className="visually-hidden"> unread</span>
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
      {creating ? (
        <form
          className="folder-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const input = e.currentTarget.elements.namedItem("name") as HTMLInputElement;
            const problem = await onCreate(input.value);
            if (problem) setError(problem);
            else {
              setCreating(false);
              setError("");
            }
          }}
        >
          <label htmlFor="new-folder-name">Folder name</label>
          <input
            id="new-folder-name"
            name="name"
            autoFocus
            maxLength={200}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "new-folder-error" : undefined}
          />
          {error ? (
            <p id="new-folder-error" className="field-error">
              {error}
            </p>
          ) : null}
          <div className="form-row">
            <button type="submit" className="button small">
              Create
            </button>
            <button
              type="button"
              className="button small quiet"
              onClick={() => {
                setCreating(false);
                setError("");
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button
          type="button"
          className="button small quiet new-folder"
          onClick={() => setCreating(true)}
        >
          New folder
        </button>
      )}
      <LabelLinks onNavigate={onNavigate} />
    </nav>
  );
}
