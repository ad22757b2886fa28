// Sign-in throttling for every protocol (web, SMTP AUTH, IMAP, POP3), in
// Postgres (LoginThrottle) so every instance shares the counts. It slows
// guessers down instead of locking accounts, after Dovecot's auth penalty
// (a delay before the check that doubles per failure, up to 15 s), mox's
// failed-auth limiter (per network, IPv6 by prefix) and OWASP's
// Authentication Cheat Sheet (throttling over lockout; known devices pass):
//
// - Per pair, the address tried and the client's network
//   (lib/auth/client-network.ts). Each attempt is counted before its
//   password is checked, so a burst of parallel guesses is counted in full;
//   a success deletes the row. The check waits pairDelayMs(failures so far)
//   after the pair's previous attempt, and from LOGIN_PAIR_LOCK_FAILURES on
//   the pair is refused unchecked for LOGIN_LOCK_SECONDS. Only that address
//   from that network: the owner elsewhere is never slowed.
// - Per network, any address (the row with address ""), counted on failure:
//   password spraying from one place is slowed by networkDelayMs, and a flood
//   locks the network for LOGIN_LOCK_SECONDS — but neither applies to an
//   address that signed in from that network lately (KnownLoginNetwork), so
//   strangers behind the owner's NAT cannot lock the owner out.
//
// Failures decay (half-life LOGIN_FAILURE_HALF_LIFE_SECONDS) rather than
// falling out of a window, so a slow guesser is delayed, never locked, and a
// count never drops all at once. Waiting is a timer between statements: no
// database connection or transaction is held, and other sessions go on.
import { setTimeout as sleep } from "node:timers/promises";
import { db } from "../db.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { UserError } from "../errors.ts";
import {
  LOGIN_PENDING_SECONDS,
  LOGIN_FAILURE_HALF_LIFE_SECONDS,
  LOGIN_FIRST_DELAY_MS,
  LOGIN_KNOWN_NETWORK_DAYS,
  LOGIN_KNOWN_NETWORKS_KEPT,
  LOGIN_LOCK_SECONDS,
  LOGIN_MAX_DELAY_MS,
  LOGIN_NETWORK_DELAY_STEP,
  LOGIN_NETWORK_FREE_FAILURES,
  LOGIN_NETWORK_LOCK_FAILURES,
  LOGIN_PAIR_LOCK_FAILURES,
  LOGIN_THROTTLE_MEMORY_SECONDS,
} from "../config/limits.ts";
import { clientNetwork } from "./client-network.ts";

export type LoginProtocol = "web" | "smtp" | "imap" | "pop3";

/** The key of the row that counts a whole network. No typed address is "": it is trimmed and refused when empty. */
const NETWORK_ROW = "";

export type ThrottleScope = "pair" | "network";

/** A sign-in refused unchecked: the pair or the network is locked until `until`. */
export class LoginThrottledError extends UserError {
  readonly scope: ThrottleScope;
  readonly until: Date;

  /** `busy`: refused because too many attempts are being checked at once, nothing locked. */
  constructor(scope: ThrottleScope, until: Date, now: Date, reason: "locked" | "busy" = "locked") {
    const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
    const wait = `Try again in ${minutes} minute${minutes === 1 ? "" : "s"}`;
    super(
      "throttled",
      reason === "busy"
        ? `Too many sign-ins to this account are being checked at once from your network. Try again in a moment.`
        : scope === "pair"
          ? `Too many failed sign-ins to this account from your network. ${wait}.`
          : `Too many failed sign-ins from your network. ${wait}.`,
    );
    this.scope = scope;
    this.until = until;
  }
}

/** Delay before checking a pair's attempt after `failures` recent ones: 0, 2, 4, 8, 15, 15… s. */
export function pairDelayMs(failures: number): number {
  const n = Math.round(failures);
  if (n < 1) return 0;
  return Math.min(LOGIN_MAX_DELAY_MS, LOGIN_FIRST_DELAY_MS * 2 ** Math.min(n - 1, 16));
}

/** Delay before checking any attempt from a network with `failures` recent ones: none up to the free allowance, then 2, 4, 8, 15 s. */
export function networkDelayMs(failures: number): number {
  const over = Math.round(failures) - LOGIN_NETWORK_FREE_FAILURES;
  if (over < 1) return 0;
  const doublings = Math.floor((over - 1) / LOGIN_NETWORK_DELAY_STEP);
  return Math.min(LOGIN_MAX_DELAY_MS, LOGIN_FIRST_DELAY_MS * 2 ** Math.min(doublings, 16));
}

/** SQL: the row's failure count decayed from its last attempt to now. */
const decayed = (alias: string) => {
  const t = Prisma.raw(alias);
  return Prisma.sql`(${t}."failures" * power(0.5, GREATEST(EXTRACT(EPOCH FROM (now() - ${t}."lastAttemptAt")), 0) / ${LOGIN_FAILURE_HALF_LIFE_SECONDS}::float8))`;
};
/** SQL: the row's attempts in flight, none once they are stale. */
const livePending = (alias: string) => {
  const t = Prisma.raw(alias);
  return Prisma.sql`(CASE WHEN ${t}."lastAttemptAt" > now() - ${seconds(LOGIN_PENDING_SECONDS)} THEN ${t}."pending" ELSE 0 END)`;
};
const seconds = (n: number) => Prisma.sql`(${n}::float8 * interval '1 second')`;

/** An attempt under way: what beginLoginAttempt decided, for loginSucceeded or loginFailed. */
export type LoginAttempt = {
  address: string;
  network: string;
  protocol: LoginProtocol;
  /** The address signed in from this network lately: the network's delay and lock passed it by. */
  known: boolean;
  /** How long the check waited, in ms. */
  waitedMs: number;
};

type GateRow = {
  now: Date;
  known: boolean;
  pairLockedUntil: Date | null;
  networkFailures: number | null;
  networkLastAt: Date | null;
  networkLockedUntil: Date | null;
};

type ChargeRow = {
  now: Date;
  failures: number;
  pending: number;
  previousAttemptAt: Date | null;
};

/**
 * Starts a sign-in attempt for `address` (normalized, not empty) from `ip`:
 * throws LoginThrottledError when the pair is locked, or the network is and
 * the address is not known there; otherwise counts the attempt for the pair
 * and waits out the delays before resolving. The caller checks the password
 * next, then calls loginSucceeded or loginFailed.
 */
export async function beginLoginAttempt(
  address: string,
  ip: string,
  protocol: LoginProtocol,
): Promise<LoginAttempt> {
  const network = clientNetwork(ip);
  const [gate] = await db.$queryRaw<GateRow[]>`
    SELECT now() AS now,
      EXISTS (
        SELECT 1 FROM "KnownLoginNetwork" k JOIN "Account" a ON a."id" = k."accountId"
        WHERE a."address" = ${address} AND k."network" = ${network}
          AND k."lastSuccessAt" > now() - ${seconds(LOGIN_KNOWN_NETWORK_DAYS * 86_400)}
      ) AS known,
      p."lockedUntil" AS "pairLockedUntil",
      ${decayed("n")} AS "networkFailures",
      n."lastAttemptAt" AS "networkLastAt",
      n."lockedUntil" AS "networkLockedUntil"
    FROM (SELECT 1) AS one
    LEFT JOIN "LoginThrottle" p ON p."address" = ${address} AND p."network" = ${network}
    LEFT JOIN "LoginThrottle" n ON n."address" = ${NETWORK_ROW} AND n."network" = ${network}`;
  if (!gate) throw new Error("login throttle: the gate query returned no row");
  if (gate.pairLockedUntil && gate.pairLockedUntil > gate.now) {
    throw new LoginThrottledError("pair", gate.pairLockedUntil, gate.now);
  }
  if (!gate.known && gate.networkLockedUntil && gate.networkLockedUntil > gate.now) {
    throw new LoginThrottledError("network", gate.networkLockedUntil, gate.now);
  }

  // In flight before the check: the pair's failures and the attempts being
  // checked now may not together reach the lock, decided in one statement so
  // concurrent attempts see each other and no burst slips past it. The delay
  // is the failures' alone, so the owner's parallel sign-ins do not slow or
  // lock each other. No row comes back when the pair is locked or full.
  const [charge] = await db.$queryRaw<ChargeRow[]>`
    INSERT INTO "LoginThrottle" AS t
      ("address", "network", "failures", "pending", "lastAttemptAt", "protocol", "expiresAt")
    VALUES (${address}, ${network}, 0, 1, now(), ${protocol}, now() + ${seconds(LOGIN_THROTTLE_MEMORY_SECONDS)})
    ON CONFLICT ("address", "network") DO UPDATE SET
      -- Re-based to now, as lastAttemptAt moves.
      "failures" = ${decayed("t")},
      "pending" = ${livePending("t")} + 1,
      "previousAttemptAt" = t."lastAttemptAt",
      "lastAttemptAt" = now(),
      "protocol" = EXCLUDED."protocol",
      "expiresAt" = EXCLUDED."expiresAt"
    WHERE (t."lockedUntil" IS NULL OR t."lockedUntil" <= now())
      AND round(${decayed("t")}) + ${livePending("t")} < ${LOGIN_PAIR_LOCK_FAILURES}
    RETURNING now() AS now, "failures", "pending", "previousAttemptAt"`;
  if (!charge) {
    const [row] = await db.$queryRaw<{ lockedUntil: Date | null; now: Date }[]>`
      SELECT "lockedUntil", now() AS now FROM "LoginThrottle"
      WHERE "address" = ${address} AND "network" = ${network}`;
    const now = row?.now ?? gate.now;
    if (row?.lockedUntil && row.lockedUntil > now) {
      throw new LoginThrottledError("pair", row.lockedUntil, now);
    }
    throw new LoginThrottledError("pair", new Date(now.getTime() + 60_000), now, "busy");
  }
  // Expired rows are garbage; clearing them now and then keeps the table small.
  if (Math.random() < 0.01) {
    await db.$executeRaw`DELETE FROM "LoginThrottle" WHERE "expiresAt" < now()`;
  }

  const now = charge.now.getTime();
  // From a network the address signed in from lately, the attempts in
  // flight are the owner's own connections: only failures delay. Elsewhere
  // each attempt in flight counts as a failure would, so a stranger's
  // parallel guesses queue behind each other's delays.
  const ahead = Math.round(charge.failures) + (gate.known ? 0 : charge.pending - 1);
  const pairDue = charge.previousAttemptAt
    ? charge.previousAttemptAt.getTime() + pairDelayMs(ahead)
    : now;
  const networkDue =
    !gate.known && gate.networkLastAt && gate.networkFailures !== null
      ? gate.networkLastAt.getTime() + networkDelayMs(gate.networkFailures)
      : now;
  const waitedMs = Math.min(LOGIN_MAX_DELAY_MS, Math.max(0, pairDue - now, networkDue - now));
  if (waitedMs > 0) await sleep(waitedMs);
  return {
    address,
    network,
    protocol,
    known: gate.known,
    waitedMs,
  };
}

/** The password was right: the pair starts afresh and the network becomes known for the account. */
export async function loginSucceeded(attempt: LoginAttempt, accountId: string): Promise<void> {
  await db.$executeRaw`
    WITH cleared AS (
      DELETE FROM "LoginThrottle" WHERE "address" = ${attempt.address} AND "network" = ${attempt.network}
    )
    INSERT INTO "KnownLoginNetwork" AS k ("accountId", "network", "lastSuccessAt")
    VALUES (${accountId}::uuid, ${attempt.network}, now())
    ON CONFLICT ("accountId", "network") DO UPDATE SET "lastSuccessAt" = now()
      -- Once an hour is enough for a 30-day memory; a polling client writes nothing more.
      WHERE k."lastSuccessAt" < now() - interval '1 hour'`;
  if (!attempt.known) {
    // A new network for this account: forget the ones beyond the newest few.
    await db.$executeRaw`
      DELETE FROM "KnownLoginNetwork" WHERE "accountId" = ${accountId}::uuid AND "network" IN (
        SELECT "network" FROM "KnownLoginNetwork" WHERE "accountId" = ${accountId}::uuid
        ORDER BY "lastSuccessAt" DESC OFFSET ${LOGIN_KNOWN_NETWORKS_KEPT})`;
  }
}

/** A lock that a failure set, for the audit log. */
export type Lockout = { scope: ThrottleScope; address: string; network: string; until: Date };

/** The password was wrong: counts the failure for the network; returns the locks this failure completed. */
export async function loginFailed(attempt: LoginAttempt): Promise<Lockout[]> {
  // The pair: this attempt is no longer in flight but a failure, which may lock it.
  const [pair] = await db.$queryRaw<{ failures: number; lockedUntil: Date | null }[]>`
    INSERT INTO "LoginThrottle" AS t
      ("address", "network", "failures", "lastAttemptAt", "protocol", "expiresAt")
    VALUES (${attempt.address}, ${attempt.network}, 1, now(), ${attempt.protocol}, now() + ${seconds(LOGIN_THROTTLE_MEMORY_SECONDS)})
    ON CONFLICT ("address", "network") DO UPDATE SET
      "failures" = ${decayed("t")} + 1,
      "pending" = GREATEST(${livePending("t")} - 1, 0),
      "lastAttemptAt" = now(),
      "lockedUntil" = CASE
        WHEN t."lockedUntil" > now() THEN t."lockedUntil"
        WHEN round(${decayed("t")} + 1) >= ${LOGIN_PAIR_LOCK_FAILURES} THEN now() + ${seconds(LOGIN_LOCK_SECONDS)}
        END,
      "expiresAt" = EXCLUDED."expiresAt"
    RETURNING "failures", "lockedUntil"`;
  const [row] = await db.$queryRaw<{ failures: number; lockedUntil: Date | null }[]>`
    INSERT INTO "LoginThrottle" AS t
      ("address", "network", "failures", "lastAttemptAt", "protocol", "expiresAt")
    VALUES (${NETWORK_ROW}, ${attempt.network}, 1, now(), ${attempt.protocol}, now() + ${seconds(LOGIN_THROTTLE_MEMORY_SECONDS)})
    ON CONFLICT ("address", "network") DO UPDATE SET
      "failures" = ${decayed("t")} + 1,
      "previousAttemptAt" = t."lastAttemptAt",
      "lastAttemptAt" = now(),
      "lockedUntil" = CASE
        WHEN t."lockedUntil" > now() THEN t."lockedUntil"
        WHEN round(${decayed("t")} + 1) >= ${LOGIN_NETWORK_LOCK_FAILURES} THEN now() + ${seconds(LOGIN_LOCK_SECONDS)}
        END,
      "protocol" = EXCLUDED."protocol",
      "expiresAt" = EXCLUDED."expiresAt"
    RETURNING "failures", "lockedUntil"`;
  const lockouts: Lockout[] = [];
  const { address, network } = attempt;
  // This failure is the one that locked the pair.
  if (pair?.lockedUntil && crossedThreshold(pair.failures, LOGIN_PAIR_LOCK_FAILURES)) {
    lockouts.push({ scope: "pair", address, network, until: pair.lockedUntil });
  }
  // This failure is the one that crossed the network's threshold.
  if (row?.lockedUntil && crossedThreshold(row.failures, LOGIN_NETWORK_LOCK_FAILURES)) {
    lockouts.push({ scope: "network", address: NETWORK_ROW, network, until: row.lockedUntil });
  }
  return lockouts;
}

/** Did the failure just counted (bringing the count to `failures`) reach `threshold`? */
function crossedThreshold(failures: number, threshold: number): boolean {
  return Math.round(failures) >= threshold && Math.round(failures - 1) < threshold;
}

/** A throttle row as the admin sees it. */
export type ThrottleState = {
  address: string;
  network: string;
  /** Recent failures, decayed to now and rounded. */
  failures: number;
  lastAttemptAt: Date;
  protocol: string;
  lockedUntil: Date | null;
  /** Delay the next attempt would wait now, in ms. */
  delayMs: number;
};

type StateRow = Omit<ThrottleState, "delayMs"> & { now: Date; lockedNow: boolean };

function toState(row: StateRow): ThrottleState {
  const delay = row.address === NETWORK_ROW ? networkDelayMs : pairDelayMs;
  const due = row.lastAttemptAt.getTime() + delay(row.failures);
  return {
    address: row.address,
    network: row.network,
    failures: Math.round(row.failures),
    lastAttemptAt: row.lastAttemptAt,
    protocol: row.protocol,
    lockedUntil: row.lockedNow ? row.lockedUntil : null,
    delayMs: Math.max(0, due - row.now.getTime()),
  };
}

const STATE_COLUMNS = Prisma.sql`"address", "network", ${decayed('"LoginThrottle"')} AS "failures",
  "lastAttemptAt", "protocol", "lockedUntil", COALESCE("lockedUntil" > now(), false) AS "lockedNow", now() AS now`;

/** The throttle state of an address, per network it was tried from (rows with a failure left or a lock). */
export async function listAddressThrottles(address: string): Promise<ThrottleState[]> {
  const rows = await db.$queryRaw<StateRow[]>`
    SELECT ${STATE_COLUMNS} FROM "LoginThrottle"
    WHERE "address" = ${address} AND "address" <> ${NETWORK_ROW}
    ORDER BY "lastAttemptAt" DESC LIMIT 100`;
  return rows.map(toState).filter((s) => s.failures > 0 || s.lockedUntil);
}

/** Throttles in force anywhere, newest first: pairs and networks with failures left or a lock. */
export async function listActiveThrottles(limit = 50): Promise<ThrottleState[]> {
  const rows = await db.$queryRaw<StateRow[]>`
    SELECT ${STATE_COLUMNS} FROM "LoginThrottle"
    WHERE "lastAttemptAt" > now() - ${seconds(LOGIN_THROTTLE_MEMORY_SECONDS)}
      AND (${decayed('"LoginThrottle"')} >= 0.5 OR "lockedUntil" > now())
    ORDER BY "lastAttemptAt" DESC LIMIT ${limit}`;
  return rows.map(toState);
}

/** The network-wide throttle rows of these networks (for an account page: the networks it was refused from). */
export async function listNetworkThrottles(networks: string[]): Promise<ThrottleState[]> {
  if (networks.length === 0) return [];
  const rows = await db.$queryRaw<StateRow[]>`
    SELECT ${STATE_COLUMNS} FROM "LoginThrottle"
    WHERE "address" = ${NETWORK_ROW} AND "network" = ANY(${networks})`;
  return rows.map(toState).filter((s) => s.failures > 0 || s.lockedUntil);
}

/** Of these addresses, those locked from some network now (for the account list). */
export async function lockedAddresses(addresses: string[]): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const rows = await db.loginThrottle.findMany({
    where: { address: { in: addresses.filter(Boolean) }, lockedUntil: { gt: new Date() } },
    select: { address: true },
  });
  return new Set(rows.map((r) => r.address));
}

/**
 * Lifts throttling: of an address from one network or (no network) from
 * every one, or of a network as a whole (no address). Its count starts
 * again from nothing. Returns how many rows were cleared.
 */
export async function liftLoginThrottle(target: {
  address?: string;
  network?: string;
}): Promise<number> {
  const network = target.network ? clientNetwork(target.network) : undefined;
  if (!target.address && !network) return 0;
  const { count } = await db.loginThrottle.deleteMany({
    where: { address: target.address || NETWORK_ROW, ...(network ? { network } : {}) },
  });
  return count;
}
