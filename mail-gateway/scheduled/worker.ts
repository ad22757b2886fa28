// The scheduled-send worker: submits the webmail's pending sends when their
// undo window ends or their scheduled time comes (lib/compose/outbox.ts owns
// the rules and the exactly-once claim; this only loops). Any number of
// workers in any number of gateways can run against one database. It also
// sweeps composer uploads nobody sent, and delivers postmaster mail held
// while no admin could take it once one can (lib/delivery/held-messages.ts:
// creating or promoting an admin does so at once; this is the retry). And it
// brings snoozed messages back to the Inbox when their time comes
// (lib/store/snooze.ts, rows claimed with SKIP LOCKED).
import { submitNextDueSend } from "../../lib/compose/outbox.ts";
import { sweepStaleUploads } from "../../lib/compose/uploads.ts";
import { releaseHeldMessages } from "../../lib/delivery/held-messages.ts";
import { wakeDueSnoozes } from "../../lib/store/snooze.ts";

const SWEEP_EVERY_MS = 60 * 60 * 1000;
const RELEASE_HELD_EVERY_MS = 60 * 1000;

export class ScheduledSendWorker {
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastSweep = 0;
  private lastRelease = 0;

  constructor(private readonly options: { pollMs: number; log: (line: string) => void }) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the send in progress, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        while (!this.stopped && (await submitNextDueSend(this.options.log))) {
          // Submit every due send before sleeping.
        }
        while (!this.stopped && (await wakeDueSnoozes()) > 0) {
          // Wake every due snooze before sleeping.
        }
        if (Date.now() - this.lastSweep > SWEEP_EVERY_MS) {
          this.lastSweep = Date.now();
          const swept = await sweepStaleUploads();
          if (swept > 0) this.options.log(`scheduled: swept ${swept} stale uploads`);
        }
        if (Date.now() - this.lastRelease > RELEASE_HELD_EVERY_MS) {
          this.lastRelease = Date.now();
          const released = await releaseHeldMessages();
          if (released > 0) this.options.log(`scheduled: delivered ${released} held messages`);
        }
      } catch (error) {
        // Postgres away or a server fault: the row stays due, tried next round.
        this.options.log(`scheduled: ${(error as Error).message}`);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}
