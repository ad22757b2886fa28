"use client";

import { useState } from "react";

/** Copies `value` to the clipboard; says so for a moment. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button quiet"
      // The name keeps the visible word in it, as WCAG 2.5.3 asks (axe's
      // label-content-name-mismatch), and says it worked to screen readers.
      aria-label={copied ? `${label}: copied` : label}
      onClick={async () => {
        await navigator.clipboard.writeText(value);
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}
