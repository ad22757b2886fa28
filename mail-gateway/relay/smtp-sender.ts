// Sends one message to one remote host with nodemailer's SMTP client and
// turns the answer into an outcome per recipient. Connections are pooled per
// host, so several messages to one host reuse one connection (EHLO and
// STARTTLS once), as Postfix's connection cache does.
import net from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool/index.js";
import type { AttemptOutcome } from "../../lib/queue/results.ts";
import type { RelayHost } from "../../lib/relay/route.ts";

export type SendOutcome =
  /** The host answered: an outcome for each recipient. */
  | { kind: "answered"; outcomes: Map<string, AttemptOutcome> }
  /** The host could not be used (connection, TLS, timeout): try the next host, or defer. */
  | { kind: "unreachable"; reply: string };

type SmtpError = Error & {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
};

// Idle pooled connections are closed after this; a busy queue keeps them warm.
const IDLE_CLOSE_MS = 30_000;

export class SmtpSender {
  private readonly pools = new Map<
    string,
    { transport: Transporter<SMTPPool.SentMessageInfo>; lastUsed: number }
  >();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: {
      /** Our name in EHLO (RFC 5321 §4.1.1.1: the client's fully qualified domain name). */
      hostname: string;
      maxConnectionsPerHost: number;
      timeoutMs?: number;
    },
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), IDLE_CLOSE_MS);
    this.sweeper.unref();
  }

  private transportFor(host: RelayHost) {
    const key = `${host.host}:${host.port}:${host.servername ?? ""}:${host.auth?.user ?? ""}`;
    let entry = this.pools.get(key);
    if (!entry) {
      const timeout = this.options.timeoutMs ?? 60_000;
      const transport = nodemailer.createTransport({
        pool: true,
        host: host.host,
        port: host.port,
        name: this.options.hostname,
        secure: false,
        // Opportunistic STARTTLS (RFC 3207, RFC 7435): used when offered,
        // certificates not verified, since MX certificates rarely match and
        // refusing would only push mail to plain text.
        ignoreTLS: false,
        requireTLS: false,
        tls: { rejectUnauthorized: false, servername: host.servername },
        auth: host.auth,
        maxConnections: this.options.maxConnectionsPerHost,
        // Postfix limits reuse by time, not count; a long-lived connection is fine.
        maxMessages: 1000,
        connectionTimeout: Math.min(timeout, 30_000),
        greetingTimeout: Math.min(timeout, 30_000),
        socketTimeout: timeout,
        disableFileAccess: true,
        disableUrlAccess: true,
        getSocket: (_options: unknown, callback: SocketCallback) =>
          connectWithoutDelay(host, Math.min(timeout, 30_000), callback),
      } as SMTPPool.Options);
      entry = { transport, lastUsed: Date.now() };
      this.pools.set(key, entry);
    }
    entry.lastUsed = Date.now();
    return entry.transport;
  }

  async send(
    host: RelayHost,
    envelope: { from: string; to: string[] },
    raw: Buffer,
  ): Promise<SendOutcome> {
    const transport = this.transportFor(host);
    const remoteMta = host.servername ?? host.host;
    try {
      // The raw bytes go out as they are; a messageId only spares nodemailer
      // generating one (random bytes) for a header it never writes.
      const info = await transport.sendMail({ envelope, raw, messageId: "<relay@localhost>" });
      const outcomes = new Map<string, AttemptOutcome>();
      const reply = oneLine(info.response ?? "250 OK");
      for (const address of envelope.to)
        outcomes.set(address, { kind: "delivered", reply, remoteMta });
      // Recipients refused at RCPT while others were taken.
      const rejected = (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [];
      for (const error of rejected) {
        if (error.recipient) outcomes.set(error.recipient, classify(error, remoteMta));
      }
      return { kind: "answered", outcomes };
    } catch (caught) {
      const error = caught as SmtpError;
      // A smarthost refusing our credentials is our configuration, not the
      // message: defer, as Postfix does (smtp_sasl_auth_soft_bounce).
      if (error.code === "EAUTH") {
        return {
          kind: "unreachable",
          reply: `454 4.7.0 ${remoteMta} refused our credentials: ${oneLine(error.response ?? error.message)}`,
        };
      }
      if (!error.responseCode) {
        return { kind: "unreachable", reply: `451 4.4.1 ${remoteMta}: ${oneLine(error.message)}` };
      }
      const outcome = classify(error, remoteMta);
      return { kind: "answered", outcomes: new Map(envelope.to.map((to) => [to, outcome])) };
    }
  }

  private closeIdle() {
    const now = Date.now();
    for (const [key, entry] of this.pools) {
      if (now - entry.lastUsed > IDLE_CLOSE_MS) {
        entry.transport.close();
        this.pools.delete(key);
      }
    }
  }

  close() {
    clearInterval(this.sweeper);
    for (const entry of this.pools.values()) entry.transport.close();
    this.pools.clear();
  }
}

type SocketCallback = (error: Error | null, socketOptions?: { connection: net.Socket }) => void;

/**
 * Opens the TCP connection for nodemailer with Nagle's algorithm off. With
 * it on, the last small write of each message (the final "." line) waits
 * for the peer's delayed ACK, about 40 ms on Linux: measured 48 ms per
 * message on one loopback connection, 6 ms with TCP_NODELAY.
 */
function connectWithoutDelay(host: RelayHost, timeoutMs: number, callback: SocketCallback) {
  const socket = net.connect({ host: host.host, port: host.port, noDelay: true });
  const timer = setTimeout(
    () => socket.destroy(Object.assign(new Error("Connection timeout"), { code: "ETIMEDOUT" })),
    timeoutMs,
  );
  const onError = (error: Error) => {
    clearTimeout(timer);
    callback(error);
  };
  socket.once("error", onError);
  socket.once("connect", () => {
    clearTimeout(timer);
    socket.off("error", onError);
    // nodemailer attaches its own handler; this one only keeps a late error
    // from becoming an uncaught exception in the gap.
    socket.on("error", () => {});
    callback(null, { connection: socket });
  });
}

function oneLine(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .trim()
    .slice(0, 1000);
}

/** RFC 5321 §4.2.1: 5yz is permanent, 4yz transient. */
function classify(error: SmtpError, remoteMta: string): AttemptOutcome {
  const reply = oneLine(error.response ?? `${error.responseCode} ${error.message}`);
  const kind = error.responseCode && error.responseCode >= 500 ? "failed" : "deferred";
  return { kind, reply, remoteMta };
}
