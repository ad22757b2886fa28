// One POP3 connection (RFC 1939): reads CRLF lines (bounded length, a
// bounded queue so pipelining clients are paced, RFC 2449 §6.6), runs one
// command at a time from the table of the current state, and upgrades to
// TLS on STLS (RFC 2595). A connection that drops or times out never enters
// the UPDATE state, so it deletes nothing (RFC 1939 §6).
import type net from "node:net";
import tls from "node:tls";
import {
  MAX_POP3_BAD_COMMANDS,
  MAX_POP3_LINE_BYTES,
  POP3_IDLE_TIMEOUT_MS,
} from "../../lib/config/limits.ts";
import type { Maildrop } from "../../lib/store/maildrop.ts";
import { watchAppPassword } from "../../lib/auth/app-passwords.ts";
import { AUTHORIZATION_COMMANDS, finishSaslPlain } from "./commands/authorization.ts";
import { TRANSACTION_COMMANDS } from "./commands/transaction.ts";
import { parseCommandLine } from "./parse.ts";
import { REPLIES } from "./replies.ts";

export type Pop3SessionOptions = {
  hostname: string;
  /** Certificate for STLS. */
  secureContext: tls.SecureContext;
  /** Development only: USER/PASS and AUTH PLAIN without TLS (ALLOW_INSECURE_AUTH). */
  allowInsecureAuth: boolean;
  log: (line: string) => void;
  /** Registers work the gateway must let finish before it stops (the UPDATE state). */
  track: <T>(work: Promise<T>) => Promise<T>;
};

export type CommandHandler = (session: Pop3Session, args: string[], line: string) => Promise<void>;

/** Lines read ahead of the one being run before the socket is paused. */
const MAX_QUEUED_LINES = 32;
const LINE_TOO_LONG = Symbol("line too long");
const CR = 0x0d;
const LF = 0x0a;

export class Pop3Session {
  state: "authorization" | "transaction" | "closed" = "authorization";
  secure: boolean;
  readonly clientIp: string;
  /** The USER name waiting for PASS. */
  pendingUser: string | null = null;
  /** AUTH PLAIN sent without an initial response: the next line is the response. */
  saslPending = false;
  account: { id: string; address: string } | null = null;
  maildrop: Maildrop | null = null;
  /** Message numbers (1-based) marked by DELE, applied only at QUIT. */
  readonly deleted = new Set<number>();
  loginFailures = 0;
  /** Stops watching for the revocation of the app password this session signed in with. */
  private stopWatch: (() => void) | null = null;

  private socket: net.Socket;
  private badCommands = 0;
  private partial = Buffer.alloc(0);
  private discarding = false;
  private queue: (string | typeof LINE_TOO_LONG)[] = [];
  private pumping = false;
  private shuttingDown = false;

  constructor(
    socket: net.Socket,
    readonly options: Pop3SessionOptions,
    implicitTls: boolean,
  ) {
    this.socket = socket;
    this.secure = implicitTls;
    this.clientIp = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
    this.attach(socket);
  }

  /** Greets the client (RFC 1939 §4). No APOP timestamp: APOP (MD5 of a stored password) is not offered. */
  async start(): Promise<void> {
    await this.send(`+OK ${this.options.hostname} POP3 server ready`);
  }

  /** USER/PASS and AUTH PLAIN are allowed: over TLS, or anywhere in development mode. */
  get loginAllowed(): boolean {
    return this.secure || this.options.allowInsecureAuth;
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  /** Writes one line (CRLF added) or raw bytes, waiting while the socket's buffer is full. */
  async send(data: string | Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return;
    const ok = this.socket.write(typeof data === "string" ? `${data}\r\n` : data);
    if (!ok) await this.drained();
  }

  /** An unknown, malformed or out-of-state command: too many and the connection ends. */
  async badCommand(reply: string): Promise<void> {
    this.badCommands++;
    if (this.badCommands > MAX_POP3_BAD_COMMANDS) {
      await this.send(REPLIES.tooManyBadCommands);
      this.close();
      return;
    }
    await this.send(reply);
  }

  /** RFC 2595 §4: after "+OK", TLS starts; anything the client pipelined before it is dropped. */
  async startTls(): Promise<void> {
    await this.send("+OK Begin TLS negotiation");
    this.queue.length = 0;
    this.partial = Buffer.alloc(0);
    this.discarding = false;
    this.pendingUser = null;
    const plain = this.socket;
    this.detach(plain);
    const secure = new tls.TLSSocket(plain, {
      isServer: true,
      secureContext: this.options.secureContext,
    });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
  }

  /**
   * Ends the session when the app password it signed in with is revoked.
   * POP3 has no unsolicited replies (a line now would read as the answer to
   * the client's next command), so the connection just closes, outside the
   * UPDATE state: nothing is deleted (RFC 1939 §6).
   */
  async endOnRevocation(accountId: string, appPasswordId: string): Promise<void> {
    const watch = watchAppPassword(accountId, appPasswordId, () => {
      this.options.log(`pop3: ${this.clientIp}: app password revoked, closing the session`);
      this.close();
    });
    this.stopWatch = watch.stop;
    await watch.ready;
  }

  /** Ends the connection (after what was written is flushed). */
  close(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    if (this.closed) return;
    this.state = "closed";
    this.queue.length = 0;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  /** Gateway shutdown: finishes the command running (a QUIT's deletions included), then says goodbye. */
  shutdown(): void {
    this.shuttingDown = true;
    this.queue.length = 0;
    if (!this.pumping) void this.send(REPLIES.shuttingDown).then(() => this.close());
  }

  private readonly onData = (chunk: Buffer) => {
    if (this.closed) return;
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    for (let lf = data.indexOf(LF); lf !== -1; lf = data.indexOf(LF)) {
      if (this.discarding) this.discarding = false;
      else if (lf + 1 > MAX_POP3_LINE_BYTES) this.queue.push(LINE_TOO_LONG);
      else {
        const end = lf > 0 && data[lf - 1] === CR ? lf - 1 : lf;
        this.queue.push(data.subarray(0, end).toString("utf8"));
      }
      data = data.subarray(lf + 1);
    }
    if (data.length >= MAX_POP3_LINE_BYTES) {
      // Drop the rest of an overlong line as it arrives instead of buffering it.
      if (!this.discarding) this.queue.push(LINE_TOO_LONG);
      this.discarding = true;
      data = Buffer.alloc(0);
    }
    this.partial = Buffer.from(data);
    if (this.queue.length > MAX_QUEUED_LINES) this.socket.pause();
    void this.pump();
  };

  private readonly onClose = () => {
    // A dropped connection leaves the maildrop as it was: no UPDATE state.
    this.state = "closed";
    this.stopWatch?.();
    this.stopWatch = null;
    this.queue.length = 0;
  };

  private readonly onTimeout = () => {
    void this.send(REPLIES.idleTimeout).then(() => this.close());
  };

  private readonly onError = (error: Error) => {
    if (!/ECONNRESET|EPIPE/.test(error.message))
      this.options.log(`pop3: connection error: ${error.message}`);
    this.socket.destroy();
  };

  private attach(socket: net.Socket): void {
    socket.setTimeout(POP3_IDLE_TIMEOUT_MS);
    socket.on("data", this.onData);
    socket.on("close", this.onClose);
    socket.on("timeout", this.onTimeout);
    socket.on("error", this.onError);
  }

  private detach(socket: net.Socket): void {
    socket.setTimeout(0);
    socket.off("data", this.onData);
    socket.off("close", this.onClose);
    socket.off("timeout", this.onTimeout);
    // The TLS socket reports errors of the one under it; keep a listener so none is unhandled.
    socket.off("error", this.onError);
    socket.on("error", () => {});
  }

  private drained(): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const line = this.queue.shift()!;
        try {
          await this.run(line);
        } catch (error) {
          this.options.log(`pop3: command failed: ${(error as Error).message}`);
          await this.send(REPLIES.temporaryFailure);
        }
        if (this.shuttingDown && !this.closed) {
          await this.send(REPLIES.shuttingDown);
          this.close();
        }
      }
    } finally {
      this.pumping = false;
    }
    if (!this.closed) this.socket.resume();
  }

  private async run(line: string | typeof LINE_TOO_LONG): Promise<void> {
    if (line === LINE_TOO_LONG) {
      this.saslPending = false;
      return this.badCommand(REPLIES.lineTooLong);
    }
    // RFC 1939 §3: keywords and arguments are printable ASCII. A NUL is
    // refused before it could reach a login lookup (Postgres text cannot hold it).
    if (line.includes("\u0000")) {
      this.saslPending = false;
      return this.badCommand(REPLIES.nulInCommand);
    }
    if (this.saslPending) {
      this.saslPending = false;
      return finishSaslPlain(this, line);
    }
    const command = parseCommandLine(line);
    if (!command) return this.badCommand("-ERR Unknown command");
    const table = this.state === "transaction" ? TRANSACTION_COMMANDS : AUTHORIZATION_COMMANDS;
    const handler = table[command.verb];
    if (handler) return handler(this, command.args, line);
    const other = this.state === "transaction" ? AUTHORIZATION_COMMANDS : TRANSACTION_COMMANDS;
    return this.badCommand(
      other[command.verb]
        ? `-ERR ${command.verb} is not valid in the ${this.state.toUpperCase()} state`
        : `-ERR Unknown command ${command.verb}`,
    );
  }
}
