"use client";

import { useSyncExternalStore } from "react";

// Dates are shown in the reader's time zone, which only the browser knows:
// the server's HTML carries UTC, and the client swaps in local time right
// after hydration (useSyncExternalStore's server snapshot keeps the two
// renders consistent, so hydration does not mismatch).
const subscribe = () => () => {};

const FORMATS = {
  short: { dateStyle: "medium" } as const,
  long: { dateStyle: "full", timeStyle: "short" } as const,
};

function format(date: Date, style: "short" | "long", timeZone?: string): string {
  if (style === "short") {
    const now = new Date();
    const sameDay =
      timeZone === undefined &&
      date.getFullYear() === now.getFullYear() &&
      date.getMonth() === now.getMonth() &&
      date.getDate() === now.getDate();
    if (sameDay) return date.toLocaleTimeString(undefined, { timeStyle: "short" });
  }
  return date.toLocaleString(timeZone ? "en" : undefined, { ...FORMATS[style], timeZone });
}

export function LocalTime({ iso, style = "short" }: { iso: string; style?: "short" | "long" }) {
  const isClient = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={isClient ? date.toLocaleString() : undefined}>
      {isClient ? format(date, style) : format(date, style, "UTC")}
    </time>
  );
}
