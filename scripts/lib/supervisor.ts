// Keeps the processes of `npm start` running, the way Postfix's master(8)
// keeps its daemons: a service that dies unexpectedly is started again after
// a backoff (1 s doubling to a cap, back to 1 s after a run that lasted), the
// reason is logged (exit code or signal, and the service's last output
// lines), and only a crash loop (too many crashes within a window) stops the
// whole service. The others keep running while one restarts. Stopping
// (Ctrl-C) stops the services in the reverse order they were added: the web
// app and the gateway first, the database they use last.
//
// Services are abstract (start one run, know when it is ready, when it ended,
// how to stop it): `nodeService` runs a Node.js child process; the embedded
// Postgres is another (scripts/lib/database.ts postgresService).
import { spawn } from "node:child_process";
import readline from "node:readline";

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/** One run of a service: a process from its start to its exit. */
export type Run = {
  pid: number | undefined;
  /** Resolves once the run serves; stays pending when it exits first. */
  ready: Promise<void>;
  /** Resolves when the run has ended, however it ended. */
  exited: Promise<ExitStatus>;
  /** Asks the run to stop; resolves once it has exited. */
  stop(): Promise<void>;
};

export type Service = {
  name: string;
  /** Starts a run; rejects when it could not even be started. */
  start(): Promise<Run>;
  /** The last lines the service printed, for the report of a crash. */
  lastOutput(): string[];
};

export type SupervisorPolicy = {
  /** Wait before the first restart; doubled for each crash in a row. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A run ready for at least this long resets the backoff to initialBackoffMs. */
  stableRunMs: number;
  /** This many crashes of one service within crashWindowMs is a crash loop: give up. */
  maxCrashes: number;
  crashWindowMs: number;
};

export const DEFAULT_POLICY: SupervisorPolicy = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  stableRunMs: 30_000,
  maxCrashes: 5,
  crashWindowMs: 120_000,
};

/** How many lines of a crashed service's output its report shows. */
const REPORTED_LINES = 10;
/** How long an exited child's output may take to arrive. */
const OUTPUT_DRAIN_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type SupervisorOptions = {
  policy?: Partial<SupervisorPolicy>;
  /** The supervisor's own messages (starts, crashes, restarts). */
  log: (line: string) => void;
  /** Called once, after every service has been stopped, when a crash loop made it give up. */
  onGiveUp: (reason: string) => void;
};

type Slot = {
  service: Service;
  run: Run | null;
  /** The run being started, until start() settles. */
  starting: Promise<Run> | null;
  /** Crash times within the window, oldest first. */
  crashes: number[];
  /** Crashes since the last stable run. */
  inARow: number;
  /** Wakes a slot that waits to restart, so that stop() does not wait for the backoff. */
  wake: (() => void) | null;
};

/** "exited with code 1", "was killed by SIGKILL". */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

/** The wait before restarting after `inARow` crashes in a row (1, 2, 3…). */
export function backoffMs(policy: SupervisorPolicy, inARow: number): number {
  return Math.min(policy.initialBackoffMs * 2 ** (inARow - 1), policy.maxBackoffMs);
}

const duration = (ms: number) =>
  ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;

export class Supervisor {
  private readonly policy: SupervisorPolicy;
  /** Services in groups, in the order they were added; stopped in reverse. */
  private readonly groups: Slot[][] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  /**
   * Starts the services (one group: started together, stopped together, after
   * the groups added later) and keeps them running. Resolves once each has
   * been ready once. Never settles when the supervisor gives up first
   * (onGiveUp reports that) or is stopped first.
   */
  add(...services: Service[]): Promise<void> {
    const group = services.map((service): Slot => ({
      service,
      run: null,
      starting: null,
      crashes: [],
      inARow: 0,
      wake: null,
    }));
    this.groups.push(group);
    return Promise.all(group.map((slot) => this.supervise(slot))).then(() => undefined);
  }

  /** The process id of a service's current run. */
  pid(name: string): number | undefined {
    return this.groups.flat().find((slot) => slot.service.name === name)?.run?.pid;
  }

  /** Stops every service, the last group added first; no restarts from now on. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const group of [...this.groups].reverse()) {
        await Promise.all(
          group.map(async (slot) => {
            slot.wake?.();
            const run = slot.run ?? (await slot.starting?.catch(() => null));
            await run?.stop();
          }),
        );
      }
    })();
    return this.stopping;
  }

  /** Runs the service until stop(); resolves when its first run is ready. */
  private supervise(slot: Slot): Promise<void> {
    return new Promise<void>((firstReady) => {
      void this.keepRunning(slot, firstReady);
    });
  }

  private async keepRunning(slot: Slot, firstReady: () => void): Promise<void> {
    const { name } = slot.service;
    while (!this.stopping) {
      const startedAt = Date.now();
      // A run is stable once it has been ready (listening) for stableRunMs: a
      // child that dies before it ever listens is a crash loop however slowly
      // it starts (a loaded machine can take longer than stableRunMs to boot).
      let readyAt: number | null = null;
      let why: string;
      try {
        // Either `starting` or `run` is set from here until the run ends, for stop().
        slot.starting = slot.service.start().then((run) => (slot.run = run));
        const run = await slot.starting.finally(() => (slot.starting = null));
        // stop() stops a run that was still starting when it came.
        if (this.stopping) return;
        this.options.log(`${name} started (pid ${run.pid})`);
        void run.ready.then(() => {
          readyAt = Date.now();
          firstReady();
        });
        const status = await run.exited;
        slot.run = null;
        if (this.stopping) return;
        why = describeExit(status);
      } catch (error) {
        slot.run = null;
        if (this.stopping) return;
        why = `failed to start: ${(error as Error).message}`;
      }
      const now = Date.now();
      if (readyAt !== null && now - readyAt >= this.policy.stableRunMs) slot.inARow = 0;
      slot.inARow++;
      slot.crashes = slot.crashes.filter((at) => now - at < this.policy.crashWindowMs);
      slot.crashes.push(now);
      const output = slot.service.lastOutput().slice(-REPORTED_LINES);
      const report = output.length
        ? `; its last output:\n${output.map((line) => `    ${line}`).join("\n")}`
        : "";
      if (slot.crashes.length >= this.policy.maxCrashes) {
        this.options.log(`${name} ${why} after ${duration(now - startedAt)}${report}`);
        await this.giveUp(
          `${name} stopped unexpectedly ${slot.crashes.length} times within ` +
            `${duration(this.policy.crashWindowMs)} (last: ${why}); giving up and stopping the service`,
        );
        return;
      }
      const delay = backoffMs(this.policy, slot.inARow);
      this.options.log(
        `${name} ${why} after ${duration(now - startedAt)}; restarting it in ${duration(delay)}${report}`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        slot.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      slot.wake = null;
    }
  }

  private async giveUp(reason: string): Promise<void> {
    if (this.stopping) return;
    await this.stop();
    this.options.onGiveUp(reason);
  }
}

/** Keeps the last `size` lines of a service's output. */
export class OutputTail {
  private readonly lines: string[] = [];
  constructor(private readonly size = 50) {}
  /** Adds output: one line, or a chunk of several. */
  push(text: string): void {
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      this.lines.push(line.trimEnd());
      if (this.lines.length > this.size) this.lines.shift();
    }
  }
  get(): string[] {
    return [...this.lines];
  }
}

export type NodeServiceOptions = {
  name: string;
  /** node's arguments (flags, then the script). */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A line of output that says the process serves. */
  readyWhen: RegExp;
  /** Where each line of its output goes (besides the tail kept for crash reports). */
  output: (line: string) => void;
  /** SIGTERM, then SIGKILL after this long. Default 10 s. */
  stopGraceMs?: number;
};

/** A Node.js child process as a service. */
export function nodeService(options: NodeServiceOptions): Service {
  let tail = new OutputTail();
  return {
    name: options.name,
    lastOutput: () => tail.get(),
    start: async () => {
      tail = new OutputTail();
      const child = spawn(process.execPath, options.args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      const streamsClosed = Promise.all(
        [child.stdout, child.stderr].map((stream) => {
          const lines = readline.createInterface({ input: stream });
          lines.on("line", (line) => {
            tail.push(line);
            options.output(line);
            if (options.readyWhen.test(line)) markReady();
          });
          return new Promise((resolve) => lines.once("close", resolve));
        }),
      );
      const exited = new Promise<ExitStatus>((resolve) => {
        // The last lines (a crash's stack trace) may still be in the pipes at
        // "exit"; wait for them, but not for a grandchild that holds a pipe open.
        const ended = (status: ExitStatus) =>
          void Promise.race([streamsClosed, sleep(OUTPUT_DRAIN_MS)]).then(() => resolve(status));
        child.once("exit", (code, signal) => ended({ code, signal }));
        child.once("error", (error) => {
          tail.push(`could not run node: ${error.message}`);
          ended({ code: null, signal: null });
        });
      });
      return {
        pid: child.pid,
        ready,
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            const force = setTimeout(() => child.kill("SIGKILL"), options.stopGraceMs ?? 10_000);
            await exited;
            clearTimeout(force);
          }
        },
      };
    },
  };
}
