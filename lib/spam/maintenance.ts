// The spam filter's periodic work, run by every gateway process: teaching
// the classifier verdicts that a crash left queued (lib/spam/training.ts)
// and emptying Junk of mail older than the retention (junk-retention.ts).
// Safe with any number of instances: training claims its rows with
// FOR UPDATE SKIP LOCKED, and the expiry runs under a Postgres advisory
// lock that one instance holds at a time.
import { expireJunk } from "./junk-retention.ts";
import { applyQueuedTraining } from "./training.ts";

/** How often each gateway looks for queued training. */
const INTERVAL_MS = 60_000;
/** How often each gateway sweeps Junk (retention is counted in days). */
const JUNK_SWEEP_MS = 3_600_000;

export type SpamMaintenanceJob = () => Promise<unknown>;

/** `job`, but at most once per `everyMs` in this process (the first round runs it). */
function atMostEvery(everyMs: number, job: SpamMaintenanceJob): SpamMaintenanceJob {
  let last = -Infinity;
  return async () => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    await job();
  };
}

/** The gateway's jobs: queued training each round, the Junk sweep hourly. */
export function spamMaintenanceJobs(junkRetentionDays: number): SpamMaintenanceJob[] {
  return [
    () => applyQueuedTraining(null),
    atMostEvery(JUNK_SWEEP_MS, () => expireJunk(junkRetentionDays)),
  ];
}

export class SpamMaintenance {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;

  constructor(
    private readonly log: (line: string) => void,
    private readonly jobs: SpamMaintenanceJob[],
    private readonly intervalMs = INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One round of every job; a failing job is logged and tried again next round. */
  runOnce(): Promise<void> {
    this.current ??= (async () => {
      for (const job of this.jobs) {
        try {
          await job();
        } catch (error) {
          this.log(`spam maintenance: ${(error as Error).message}`);
        }
      }
    })().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }
}
