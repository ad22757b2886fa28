// Per-client limits at the MX, for what a client does rather than what it
// sends: open connections per IP, messages per network per hour, and the
// address-harvest defense (a client guessing recipients gets slower answers,
// then 421 and a closed connection, as Postfix's smtpd_hard_error_limit and
// mox's per-session error count do).
//
// Open connections are counted per gateway process (a connection lives in
// one process; another instance has its own sockets to count). Message
// counts live in Postgres (lib/rate-limit.ts), so every gateway instance
// adds to the same window.
import { addToRateLimit } from "../rate-limit.ts";
import { clientNetwork } from "../auth/client-network.ts";
import type { SpamSettings } from "./settings.ts";

/** Whether the per-client limits apply to `ip` (loopback only when the admin says so). */
export function isLimitedClient(
  ip: string,
  settings: Pick<SpamSettings, "limitLoopbackClients">,
): boolean {
  const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  const loopback = plain === "::1" || plain.startsWith("127.");
  return settings.limitLoopbackClients || !loopback;
}

/** Open connections by client IP, in this process. */
export class ConnectionCounter {
  readonly #open = new Map<string, number>();

  /** Counts a new connection; false (and not counted) when the IP already has `max` open. */
  tryOpen(ip: string, max: number): boolean {
    const open = this.#open.get(ip) ?? 0;
    if (open >= max) return false;
    this.#open.set(ip, open + 1);
    return true;
  }

  close(ip: string): void {
    const open = (this.#open.get(ip) ?? 0) - 1;
    if (open > 0) this.#open.set(ip, open);
    else this.#open.delete(ip);
  }
}

const HOUR_SECONDS = 3600;

/** Counts one message (MAIL FROM) from the client's network; whether it is within the hourly limit. */
export async function chargeClientMessage(
  ip: string,
  settings: Pick<SpamSettings, "maxMessagesPerIpPerHour" | "limitLoopbackClients">,
  now = new Date(),
): Promise<boolean> {
  if (!isLimitedClient(ip, settings)) return true;
  const count = await addToRateLimit(`mx:msgs:${clientNetwork(ip)}`, HOUR_SECONDS, 1, now);
  return count <= settings.maxMessagesPerIpPerHour;
}

// Each unknown recipient past the slow-down point waits one more second,
// up to this: long enough to make guessing a dictionary cost hours, short
// enough that a real client with a few stale addresses is not timed out
// (RFC 5321 §4.5.3.2.2 gives RCPT five minutes).
const MAX_HARVEST_DELAY_MS = 10_000;

export type HarvestStep = { delayMs: number; disconnect: boolean };

/** What the n-th unknown recipient of a session (1-based) gets. */
export function harvestStep(
  ip: string,
  unknownSoFar: number,
  settings: Pick<
    SpamSettings,
    "harvestSlowAfter" | "harvestDisconnectAfter" | "limitLoopbackClients"
  >,
): HarvestStep {
  if (!isLimitedClient(ip, settings)) return { delayMs: 0, disconnect: false };
  if (unknownSoFar >= settings.harvestDisconnectAfter) return { delayMs: 0, disconnect: true };
  const over = unknownSoFar - settings.harvestSlowAfter;
  return { delayMs: over > 0 ? Math.min(over * 1000, MAX_HARVEST_DELAY_MS) : 0, disconnect: false };
}
