// Display formats shared by the admin pages.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(value: bigint | number): string {
  let n = Number(value);
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatTime(date: Date | null): string {
  return date ? date.toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—";
}
