"use client";

import { createContext, useContext, type ReactNode } from "react";
import Link from "next/link";
import { labelsOf, type LabelDef } from "@/lib/labels/keywords";
import { mailHref } from "./mail-url";

// The account's labels, given once by the page to every component that
// shows them (list rows, the folder pane, the reading pane's tools).
const LabelsContext = createContext<readonly LabelDef[]>([]);

export function LabelsProvider({ labels, children }: { labels: LabelDef[]; children: ReactNode }) {
  return <LabelsContext.Provider value={labels}>{children}</LabelsContext.Provider>;
}

export function useLabels(): readonly LabelDef[] {
  return useContext(LabelsContext);
}

/** The search that lists a label's mail. */
export function labelQuery(name: string): string {
  return /[\s"]/.test(name) ? `label:"${name.replace(/"/g, "")}"` : `label:${name}`;
}

/** A message's labels as coloured chips (list rows). */
export function LabelChips({ keywords }: { keywords: string[] }) {
  const labels = labelsOf(keywords, useLabels());
  if (labels.length === 0) return null;
  return (
    <span className="row-labels">
      <span className="visually-hidden">Labels: </span>
      {labels.map((l) => (
        <span
          key={l.keyword}
          className="label-chip"
          style={{ ["--label-color" as string]: l.color }}
        >
          {l.name}
        </span>
      ))}
    </span>
  );
}

/** The labels under the folders, each a link to its mail. */
export function LabelLinks({ onNavigate }: { onNavigate: () => void }) {
  const labels = useLabels();
  if (labels.length === 0) return null;
  return (
    <div className="label-links">
      <h2 id="labels-heading" className="pane-heading">
        Labels
      </h2>
      <ul aria-labelledby="labels-heading">
        {labels.map((l) => (
          <li key={l.keyword}>
            <Link
              href={mailHref({ q: labelQuery(l.name) })}
              className="folder"
              onClick={onNavigate}
            >
              <span
                className="label-dot"
                aria-hidden="true"
                style={{ ["--label-color" as string]: l.color }}
              />
              <span className="folder-name">{l.name}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
