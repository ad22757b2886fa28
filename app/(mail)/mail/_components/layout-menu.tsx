"use client";

// Where the reading pane sits (right of the list, below it, or off: the
// message replaces the list), how dense the list is and whether it shows a
// row per thread ("Show as conversations"), remembered per user
// (lib/accounts/user-settings.ts). Applied at once; saved in the background.
import { useState } from "react";
import type { MailLayout } from "@/lib/accounts/mail-layout";
import { setMailLayoutAction } from "../layout-actions";

export function useMailLayout(initial: MailLayout) {
  const [layout, setLayout] = useState(initial);
  const [error, setError] = useState("");
  const change = async (next: Partial<MailLayout>) => {
    const merged = { ...layout, ...next };
    setLayout(merged);
    const result = await setMailLayoutAction(merged);
    setError(result.ok ? "" : result.error);
  };
  return { layout, change, error };
}

export function LayoutMenu({
  layout,
  onChange,
}: {
  layout: MailLayout;
  onChange: (next: Partial<MailLayout>) => void;
}) {
  return (
    <div className="layout-menu">
      <label>
        Reading pane{" "}
        <select
          value={layout.readingPane}
          onChange={(e) => onChange({ readingPane: e.target.value as MailLayout["readingPane"] })}
        >
          <option value="right">Right</option>
          <option value="bottom">Bottom</option>
          <option value="off">Off</option>
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          checked={layout.conversations}
          onChange={(e) => onChange({ conversations: e.target.checked })}
        />{" "}
        Show as conversations
      </label>
      <label>
        Density{" "}
        <select
          value={layout.density}
          onChange={(e) => onChange({ density: e.target.value as MailLayout["density"] })}
        >
          <option value="comfortable">Comfortable</option>
          <option value="compact">Compact</option>
        </select>
      </label>
    </div>
  );
}
