// The snooze menu's choices, computed in the browser's time zone (a Date's
// local fields): "Later today" is 18:00, or three hours on (to the hour)
// once that is less than an hour away; "Tomorrow" is 08:00 tomorrow; "Next
// week" is Monday 08:00 (Gmail's and Outlook.com's choices).
export type SnoozeChoice = { label: string; hint: string; at: Date };

const HOUR_MS = 60 * 60 * 1000;

function at(day: Date, hours: number, addDays = 0): Date {
  const d = new Date(day);
  d.setDate(d.getDate() + addDays);
  d.setHours(hours, 0, 0, 0);
  return d;
}

function hint(date: Date): string {
  return date.toLocaleString(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
}

export function snoozeChoices(now: Date): SnoozeChoice[] {
  const evening = at(now, 18);
  const later =
    evening.getTime() - now.getTime() >= HOUR_MS
      ? evening
      : new Date(Math.ceil((now.getTime() + 3 * HOUR_MS) / HOUR_MS) * HOUR_MS);
  const tomorrow = at(now, 8, 1);
  // Days to the next Monday (getDay: 0 is Sunday): 1..7, never today.
  const toMonday = (8 - now.getDay()) % 7 || 7;
  const nextWeek = at(now, 8, toMonday);
  return [
    { label: "Later today", hint: hint(later), at: later },
    { label: "Tomorrow", hint: hint(tomorrow), at: tomorrow },
    { label: "Next week", hint: hint(nextWeek), at: nextWeek },
  ];
}

/** A Date as a datetime-local input's value ("2026-12-02T18:00"), local time. */
export function toLocalInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
