// The inbound gateway for SMTP tests: started in-process on a free port
// against the test file's database, with a DNS table instead of DNS, a
// throw-away spool folder and a fresh self-signed certificate. Plus a raw
// line-level SMTP client for asserting exact replies and pipelining.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { startGateway, type Gateway, type GatewayOptions } from "../../mail-gateway/gateway.ts";
import { createSelfSignedCertificate } from "../../mail-gateway/smtp/tls.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { createStaticResolver } from "../../lib/dns/resolver.ts";
import { stopBeforeDatabaseDrop } from "./db.ts";

export const MX_HOSTNAME = "mx.mail.test";

export type TestGateway = Gateway & { logs: string[] };

/** Starts the gateway for this test file; it is closed when the file's tests end. */
export async function startTestGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const spoolDir = options.spoolDir ?? (await mkdtemp(path.join(tmpdir(), "mail-spool-")));
  const logs: string[] = [];
  const gateway = await startGateway({
    config: parseConfig({
      ...process.env,
      MAIL_DOMAIN: "mail.test",
      MAIL_HOSTNAME: MX_HOSTNAME,
      DATA_DIR: spoolDir,
    }),
    smtpPort: 0,
    submissionPort: 0,
    imapPort: null,
    imapsPort: null,
    pop3Port: null,
    pop3TlsPort: null,
    listenHost: "127.0.0.1",
    resolver: createStaticResolver({}),
    tls: createSelfSignedCertificate(MX_HOSTNAME),
    spoolDir,
    log: (line) => logs.push(line),
    ...options,
  });
  stopBeforeDatabaseDrop(async () => {
    await gateway.close();
    await rm(spoolDir, { recursive: true, force: true });
  });
  return Object.assign(gateway, { logs });
}

export type Reply = { code: number; lines: string[]; text: string };

/**
 * A bare SMTP client: writes exactly what it is told and parses replies
 * (RFC 5321 §4.2: "250-" continues, "250 " ends a reply).
 */
export class RawSmtpClient {
  private buffer = "";
  private waiting: ((reply: Reply) => void)[] = [];
  private replies: Reply[] = [];
  private current: string[] = [];
  private closed = false;

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static async connect(port: number): Promise<{ client: RawSmtpClient; greeting: Reply }> {
    const socket = net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new RawSmtpClient(socket);
    const greeting = await client.read();
    return { client, greeting };
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
      for (const waiter of this.waiting.splice(0))
        waiter({ code: 0, lines: [], text: "connection closed" });
    });
    socket.on("error", () => {});
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let index: number;
    while ((index = this.buffer.indexOf("\r\n")) !== -1) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      this.current.push(line);
      if (line[3] !== "-") {
        const lines = this.current.map((l) => l.slice(4));
        const reply = { code: Number(line.slice(0, 3)), lines, text: lines.join("\n") };
        this.current = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply);
        else this.replies.push(reply);
      }
    }
  }

  /** The next reply. */
  read(): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve({ code: 0, lines: [], text: "connection closed" });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** Sends a message body after a 354, dot-stuffed (RFC 5321 §4.5.2), and returns the final reply. */
  async data(body: Buffer | string): Promise<Reply> {
    const text = Buffer.isBuffer(body) ? body.toString("latin1") : body;
    // smtp-server unstuffs a dot after any LF, bare or not, so stuff likewise.
    const stuffed = text.replace(/(^|\n)\./g, "$1..");
    this.write(Buffer.from(stuffed + (stuffed.endsWith("\r\n") ? "" : "\r\n") + ".\r\n", "latin1"));
    return this.read();
  }

  /** STARTTLS (RFC 3207) and the TLS handshake; the caller sends EHLO again. */
  async startTls(): Promise<Reply> {
    const reply = await this.command("STARTTLS");
    if (reply.code !== 220) return reply;
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({
      socket: plain,
      rejectUnauthorized: false,
      servername: MX_HOSTNAME,
    });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
    return reply;
  }

  get encrypted(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  async quit(): Promise<void> {
    if (!this.closed) await this.command("QUIT");
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A small RFC 5322 message. */
export function simpleMessage(
  fields: {
    from?: string;
    to?: string;
    subject?: string;
    messageId?: string;
    extraHeaders?: string[];
  } = {},
  body = "Hello there.\r\n",
): string {
  const headers = [
    `From: ${fields.from ?? "Alice <alice@example.org>"}`,
    `To: ${fields.to ?? "bob@mail.test"}`,
    `Subject: ${fields.subject ?? "Test message"}`,
    `Date: Sun, 22 Nov 2026 10:00:00 +0000`,
    `Message-ID: ${fields.messageId ?? `<${Math.random().toString(36).slice(2)}@example.org>`}`,
    ...(fields.extraHeaders ?? []),
  ];
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

/** One whole transaction over a fresh connection; returns every reply after the greeting. */
export async function sendOnce(
  port: number,
  envelope: { from: string; to: string[] },
  message: string | Buffer,
): Promise<{ ehlo: Reply; mail: Reply; rcpt: Reply[]; data: Reply | null; final: Reply | null }> {
  const { client } = await RawSmtpClient.connect(port);
  try {
    const ehlo = await client.command("EHLO client.example.org");
    const mail = await client.command(`MAIL FROM:<${envelope.from}>`);
    const rcpt: Reply[] = [];
    for (const to of envelope.to) rcpt.push(await client.command(`RCPT TO:<${to}>`));
    if (!rcpt.some((r) => r.code === 250)) return { ehlo, mail, rcpt, data: null, final: null };
    const data = await client.command("DATA");
    const final = data.code === 354 ? await client.data(message) : null;
    return { ehlo, mail, rcpt, data, final };
  } finally {
    await client.quit();
  }
}
