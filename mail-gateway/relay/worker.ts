// The relay worker: claims due outbound recipients from the shared queue,
// routes them per domain, sends each message once per destination host with
// all its recipients there, records outcomes and hands bounces and delay
// warnings to lib/queue. Any number of workers (in any number of gateway
// instances) can run against one database.
import { hostname as osHostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Config } from "../../lib/config/index.ts";
import type { DnsResolver } from "../../lib/dns/resolver.ts";
import {
  claimDueRecipients,
  loadQueuedSource,
  type ClaimedRecipient,
} from "../../lib/queue/claim.ts";
import {
  recordAttempt,
  releaseLease,
  type AttemptOutcome,
  type SenderReport,
} from "../../lib/queue/results.ts";
import { routeDomain } from "../../lib/relay/route.ts";
import { SmtpSender } from "./smtp-sender.ts";

export type RelayWorkerOptions = {
  relay: Config["relay"];
  hostname: string;
  resolver: DnsResolver;
  /** Delivers the bounces and delay warnings a batch produced (lib/queue/reports.ts). */
  deliverReports: (reports: SenderReport[]) => Promise<void>;
  /** Messages being sent at once by this worker, all domains together. */
  maxInFlight?: number;
  log?: (line: string) => void;
};

type MessageJob = {
  domain: string;
  sourceSha256: string;
  mailFrom: string;
  rows: ClaimedRecipient[];
};

export class RelayWorker {
  readonly owner = `${osHostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private readonly sender: SmtpSender;
  private readonly maxInFlight: number;
  private readonly activePerDomain = new Map<string, number>();
  private readonly waiting: MessageJob[] = [];
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: RelayWorkerOptions) {
    this.maxInFlight = options.maxInFlight ?? 32;
    this.sender = new SmtpSender({
      hostname: options.hostname,
      maxConnectionsPerHost: options.relay.concurrencyPerDomain,
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Wakes the worker now (new mail was queued) instead of at its next poll. */
  poke(): void {
    this.wake?.();
  }

  /** Stops claiming, lets messages being sent finish, gives back leases of the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    const unsent = this.waiting.splice(0).flatMap((job) => job.rows.map((r) => r.id));
    await releaseLease(this.owner, unsent).catch(() => {});
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    this.sender.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed: ClaimedRecipient[] = [];
      const room = this.maxInFlight * 4 - this.waiting.length - this.inFlight;
      if (room > 0) {
        try {
          claimed = await claimDueRecipients({
            owner: this.owner,
            limit: room,
            leaseSeconds: this.options.relay.leaseSeconds,
          });
        } catch (error) {
          this.log(`claim failed: ${(error as Error).message}`);
        }
      }
      for (const job of groupIntoJobs(claimed)) this.waiting.push(job);
      this.dispatch();
      if (claimed.length === 0 || room <= 0)
        await this.sleep(this.options.relay.pollSeconds * 1000);
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
        .catch((error: unknown) =>
          this.log(`delivery to ${job.domain} failed: ${(error as Error).message}`),
        )
        .finally(() => {
          this.activePerDomain.set(job.domain, (this.activePerDomain.get(job.domain) ?? 1) - 1);
          this.inFlight--;
          if (this.inFlight === 0) for (const resolve of this.idle) resolve();
          this.idle.clear();
          this.dispatch();
          this.wake?.();
        });
    }
  }

  private async deliver(job: MessageJob): Promise<void> {
    const policy = {
      baseSeconds: this.options.relay.retryBaseSeconds,
      maxSeconds: this.options.relay.retryMaxSeconds,
      delayWarningSeconds: this.options.relay.delayWarningSeconds,
    };
    const record = async (rows: ClaimedRecipient[], outcome: AttemptOutcome) => {
      const reports = await recordAttempt(this.owner, rows, outcome, policy);
      if (reports.length > 0) await this.options.deliverReports(reports);
    };

    const route = await routeDomain(job.domain, this.options.resolver, this.options.relay);
    if (route.kind === "fail")
      return record(job.rows, { kind: "failed", reply: route.reply, remoteMta: null });
    if (route.kind === "defer")
      return record(job.rows, { kind: "deferred", reply: route.reply, remoteMta: null });

    const raw = await loadQueuedSource(job.sourceSha256);
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
      // Group recipients by identical outcome so each group is one update.
      const groups = new Map<string, { outcome: AttemptOutcome; rows: ClaimedRecipient[] }>();
      for (const row of job.rows) {
        const outcome = result.outcomes.get(row.recipient) ?? {
          kind: "deferred",
          reply: lastReply,
          remoteMta: null,
        };
        const key = `${outcome.kind} ${outcome.reply}`;
        const group = groups.get(key) ?? { outcome, rows: [] };
        group.rows.push(row);
        groups.set(key, group);
      }
      for (const group of groups.values()) await record(group.rows, group.outcome);
      return;
    }
    await record(job.rows, { kind: "deferred", reply: lastReply, remoteMta: null });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private log(line: string) {
    (this.options.log ?? console.log)(`relay: ${line}`);
  }
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
