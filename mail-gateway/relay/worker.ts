// The relay worker: claims due outbound recipients from the shared queue in
// batches, routes them per domain, sends each message once per destination
// host with all its recipients there (at most RELAY_CONCURRENCY_PER_DOMAIN at
// once per domain, over pooled connections), records outcomes in batched
// statements and hands bounces and delay warnings to lib/queue. Any number of
// workers (in any number of gateway instances) can run against one database.
//
// It wakes on NOTIFY outbound_queued (new mail), when its own work frees
// room, when the next retry or scheduled send falls due, and at least every
// RELAY_POLL_SECONDS (which also finds the expired leases of instances that
// died). While it holds rows it renews their leases, so a short lease only
// delays the takeover of a dead instance's rows.
import { hostname as osHostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Config } from "../../lib/config/index.ts";
import type { DnsResolver } from "../../lib/dns/resolver.ts";
import {
  claimDueRecipients,
  loadQueuedSources,
  nextDueAt,
  renewLeases,
  type ClaimedRecipient,
} from "../../lib/queue/claim.ts";
import { listenForQueuedMail, type QueueListener } from "../../lib/queue/listen-queued.ts";
import {
  recordAttempts,
  releaseLease,
  type AttemptOutcome,
  type QueuePolicy,
  type RecipientAttempt,
  type SenderReport,
} from "../../lib/queue/results.ts";
import { routeDomain, type Route } from "../../lib/relay/route.ts";
import { SmtpSender } from "./smtp-sender.ts";

export type RelayWorkerOptions = {
  relay: Config["relay"];
  hostname: string;
  resolver: DnsResolver;
  /** Delivers the bounces and delay warnings a batch produced (lib/queue/reports.ts). */
  deliverReports: (reports: SenderReport[]) => Promise<void>;
  /**
   * Delivers reports left owed by an instance that died before sending them
   * (lib/queue/reports.ts deliverOwedReports); run each poll interval.
   */
  deliverOwedReports?: (owner: string) => Promise<unknown>;
  /** Messages being sent at once by this worker, all domains together. */
  maxInFlight?: number;
  log?: (line: string) => void;
};

type MessageJob = {
  domain: string;
  sourceSha256: string;
  mailFrom: string;
  rows: ClaimedRecipient[];
  /** The message's bytes, when loaded ahead with the rest of its claim batch. */
  source?: Promise<Buffer | undefined>;
};

/** A domain's route is looked up again after this (DNS answers change; tests use static routes). */
const ROUTE_CACHE_MS = 60_000;
/** Sources of a claim batch are loaded ahead in one query up to this many bytes; larger ones when sent. */
const PRELOAD_BYTES = 16 * 1024 * 1024;
/** Shortest sleep when rows are due but none could be claimed (locked by another claimer). */
const MIN_SLEEP_MS = 50;

export class RelayWorker {
  readonly owner = `${osHostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private readonly sender: SmtpSender;
  private readonly maxInFlight: number;
  /** Most rows leased at once: queued here, being sent, or waiting for their result to be written. */
  private readonly maxHeld: number;
  private readonly policy: QueuePolicy;
  private readonly held = new Map<string, ClaimedRecipient>();
  private readonly activePerDomain = new Map<string, number>();
  private readonly routes = new Map<string, { route: Promise<Route>; until: number }>();
  private waiting: MessageJob[] = [];
  private inFlight = 0;
  private readonly idle = new Set<() => void>();
  private results: RecipientAttempt[] = [];
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private wakeRequested = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private listener: QueueListener | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  private owedReports: Promise<unknown> | null = null;

  constructor(private readonly options: RelayWorkerOptions) {
    this.maxInFlight = options.maxInFlight ?? 32;
    this.maxHeld = this.maxInFlight * 4;
    this.policy = {
      baseSeconds: options.relay.retryBaseSeconds,
      maxSeconds: options.relay.retryMaxSeconds,
      delayWarningSeconds: options.relay.delayWarningSeconds,
    };
    this.sender = new SmtpSender({
      hostname: options.hostname,
      maxConnectionsPerHost: options.relay.concurrencyPerDomain,
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Wakes the worker now (new mail was queued, room was freed) instead of at its next timer. */
  poke(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  /** Stops claiming, lets messages being sent finish and records them, gives back leases of the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    const unsent = this.waiting.flatMap((job) => job.rows.map((r) => r.id));
    this.waiting = [];
    for (const id of unsent) this.held.delete(id);
    await releaseLease(this.owner, unsent).catch(() => {});
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    await this.flushing;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.reportTimer) clearInterval(this.reportTimer);
    await this.owedReports;
    await this.listener?.close();
    this.sender.close();
  }

  private async run(): Promise<void> {
    this.listener = listenForQueuedMail(
      () => this.poke(),
      (line) => this.log(line),
    );
    await this.listener.ready;
    const leaseMs = this.options.relay.leaseSeconds * 1000;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, leaseMs / 3));
    const deliverOwed = this.options.deliverOwedReports;
    if (deliverOwed) {
      this.reportTimer = setInterval(
        () => {
          this.owedReports ??= deliverOwed(this.owner)
            .catch((error: unknown) => this.log(`owed reports: ${(error as Error).message}`))
            .finally(() => (this.owedReports = null));
        },
        Math.max(100, this.options.relay.pollSeconds * 1000),
      );
    }
    while (!this.stopped) {
      this.wakeRequested = false;
      const room = this.maxHeld - this.held.size;
      let drained = false;
      if (room >= this.maxHeld / 2) {
        try {
          const claimed = await claimDueRecipients({
            owner: this.owner,
            limit: room,
            leaseSeconds: this.options.relay.leaseSeconds,
          });
          // A row of ours whose lease ran out while this process stalled
          // comes back with a fresh lease: it is queued here already.
          const fresh = claimed.filter((row) => !this.held.has(row.id));
          for (const row of fresh) this.held.set(row.id, row);
          this.waiting.push(...preloadSources(groupIntoJobs(fresh)));
          this.dispatch();
          drained = claimed.length < room;
          if (!drained) continue;
        } catch (error) {
          this.log(`claim failed: ${(error as Error).message}`);
          await this.sleep(this.options.relay.pollSeconds * 1000);
          continue;
        }
      }
      await this.sleep(drained ? await this.untilNextDue() : this.options.relay.pollSeconds * 1000);
    }
  }

  /** How long to sleep when the due rows are all claimed: until the next one falls due, at most the poll interval. */
  private async untilNextDue(): Promise<number> {
    const pollMs = this.options.relay.pollSeconds * 1000;
    try {
      const due = await nextDueAt();
      if (!due) return pollMs;
      return Math.min(pollMs, Math.max(MIN_SLEEP_MS, due.getTime() - Date.now()));
    } catch {
      return pollMs;
    }
  }

  private dispatch(): void {
    for (let i = 0; i < this.waiting.length && this.inFlight < this.maxInFlight;) {
      const job = this.waiting[i]!;
      const active = this.activePerDomain.get(job.domain) ?? 0;
      if (active >= this.options.relay.concurrencyPerDomain) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.activePerDomain.set(job.domain, active + 1);
      this.inFlight++;
      void this.deliver(job)
        .catch((error: unknown) => {
          // Rows stay leased and are retried once the lease runs out.
          this.log(`delivery to ${job.domain} failed: ${(error as Error).message}`);
          for (const row of job.rows) this.held.delete(row.id);
        })
        .finally(() => {
          this.activePerDomain.set(job.domain, (this.activePerDomain.get(job.domain) ?? 1) - 1);
          this.inFlight--;
          if (this.inFlight === 0) {
            for (const resolve of this.idle) resolve();
            this.idle.clear();
          }
          this.dispatch();
        });
    }
  }

  private async deliver(job: MessageJob): Promise<void> {
    const route = await this.routeOf(job.domain);
    if (route.kind === "fail")
      return this.record(job.rows, { kind: "failed", reply: route.reply, remoteMta: null });
    if (route.kind === "defer")
      return this.record(job.rows, { kind: "deferred", reply: route.reply, remoteMta: null });

    const raw =
      (await job.source) ?? (await loadQueuedSources([job.sourceSha256])).get(job.sourceSha256);
    if (!raw) throw new Error(`source ${job.sourceSha256} is missing`);
    let lastReply = "451 4.4.1 No mail host could be reached";
    for (const host of route.hosts) {
      const result = await this.sender.send(
        host,
        { from: job.mailFrom, to: job.rows.map((r) => r.recipient) },
        raw,
      );
      if (result.kind === "unreachable") {
        lastReply = result.reply;
        continue;
      }
      for (const row of job.rows) {
        const outcome = result.outcomes.get(row.recipient) ?? {
          kind: "deferred",
          reply: lastReply,
          remoteMta: null,
        };
        this.results.push({ row, outcome });
      }
      this.flush();
      return;
    }
    this.record(job.rows, { kind: "deferred", reply: lastReply, remoteMta: null });
  }

  private record(rows: ClaimedRecipient[], outcome: AttemptOutcome): void {
    for (const row of rows) this.results.push({ row, outcome });
    this.flush();
  }

  /**
   * Writes collected results: one statement for everything that finished
   * while the previous one ran (group commit), so a busy worker writes few,
   * large updates and an idle one adds no delay.
   */
  private flush(): void {
    this.flushing ??= (async () => {
      while (this.results.length > 0) {
        const batch = this.results;
        this.results = [];
        try {
          const reports = await recordAttempts(this.owner, batch, this.policy);
          if (reports.length > 0) await this.options.deliverReports(reports);
        } catch (error) {
          // Unrecorded rows keep their lease and are tried again when it runs out.
          this.log(`recording ${batch.length} results failed: ${(error as Error).message}`);
        }
        for (const { row } of batch) this.held.delete(row.id);
        this.poke();
      }
      this.flushing = null;
    })();
  }

  private routeOf(domain: string): Promise<Route> {
    const now = Date.now();
    const cached = this.routes.get(domain);
    if (cached && cached.until > now) return cached.route;
    const route = routeDomain(domain, this.options.resolver, this.options.relay);
    this.routes.set(domain, { route, until: now + ROUTE_CACHE_MS });
    // A temporary DNS failure is not remembered: the next message asks again.
    void route.then(
      (r) => r.kind === "defer" && this.routes.delete(domain),
      () => this.routes.delete(domain),
    );
    return route;
  }

  /** Extends the leases of every held row; drops waiting rows whose lease was lost. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held.keys()];
    try {
      const still = await renewLeases(this.owner, ids, this.options.relay.leaseSeconds);
      // Rows recorded meanwhile are gone from `held` already; the others were taken over.
      const lost = new Set(ids.filter((id) => !still.has(id) && this.held.has(id)));
      if (lost.size === 0) return;
      for (const id of lost) this.held.delete(id);
      this.waiting = this.waiting
        .map((job) => ({ ...job, rows: job.rows.filter((r) => !lost.has(r.id)) }))
        .filter((job) => job.rows.length > 0);
    } catch (error) {
      this.log(`lease renewal failed: ${(error as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        wake();
      };
    });
  }

  private log(line: string) {
    (this.options.log ?? console.log)(`relay: ${line}`);
  }
}

/**
 * Starts loading the bytes of the batch's messages in one query, within a
 * budget: sending then waits for no round trip of its own.
 */
function preloadSources(jobs: MessageJob[]): MessageJob[] {
  const wanted = new Set<string>();
  let bytes = 0;
  for (const job of jobs) {
    const size = job.rows[0]!.sourceSize;
    if (wanted.has(job.sourceSha256) || bytes + size > PRELOAD_BYTES) continue;
    wanted.add(job.sourceSha256);
    bytes += size;
  }
  if (wanted.size === 0) return jobs;
  const loaded = loadQueuedSources([...wanted]);
  // A failed preload is retried per message when it is sent.
  loaded.catch(() => {});
  for (const job of jobs) {
    if (wanted.has(job.sourceSha256))
      job.source = loaded.then(
        (found) => found.get(job.sourceSha256),
        () => undefined,
      );
  }
  return jobs;
}

/** One job per message per domain: the same bytes to all its recipients there. */
function groupIntoJobs(rows: ClaimedRecipient[]): MessageJob[] {
  const jobs = new Map<string, MessageJob>();
  for (const row of rows) {
    const key = `${row.domain}\u0000${row.sourceSha256}\u0000${row.mailFrom}`;
    let job = jobs.get(key);
    if (!job) {
      job = {
        domain: row.domain,
        sourceSha256: row.sourceSha256,
        mailFrom: row.mailFrom,
        rows: [],
      };
      jobs.set(key, job);
    }
    job.rows.push(row);
  }
  return [...jobs.values()];
}
