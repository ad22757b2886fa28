// POP3 tests: the gateway with its POP3 listeners on free ports, a bare
// line-level POP3 client for exact replies, and Python's poplib (the stdlib
// client) run as a subprocess.
import { execFile } from "node:child_process";
import net from "node:net";
import tls from "node:tls";
import { promisify } from "node:util";
import { parseConfig } from "../../lib/config/index.ts";
import { MX_HOSTNAME, startTestGateway, type TestGateway } from "./smtp-harness.ts";

const run = promisify(execFile);

export type Pop3Gateway = TestGateway & { pop3Port: number; pop3TlsPort: number };

/** The gateway with POP3 (STLS port and implicit-TLS port); `insecure` is ALLOW_INSECURE_AUTH. */
export async function startPop3Gateway(options: { insecure: boolean }): Promise<Pop3Gateway> {
  const gateway = await startTestGateway({
    config: parseConfig({
      ...process.env,
      MAIL_DOMAIN: "mail.test",
      MAIL_HOSTNAME: MX_HOSTNAME,
      ALLOW_INSECURE_AUTH: String(options.insecure),
    }),
    relay: false,
    pop3Port: 0,
    pop3TlsPort: 0,
  });
  return gateway as Pop3Gateway;
}

/**
 * A bare POP3 client: writes exactly what it is told, reads single lines
 * and multi-line bodies (RFC 1939 §3) as raw bytes.
 */
export class RawPop3Client {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  /** `localAddress`: the client's source, e.g. "127.0.0.5" (Linux routes all of 127/8 on loopback). */
  static async connect(
    port: number,
    options: { implicitTls?: boolean; localAddress?: string } = {},
  ) {
    const { localAddress } = options;
    const socket = options.implicitTls
      ? tls.connect({
          socket: net.connect({ port, host: "127.0.0.1", localAddress }),
          rejectUnauthorized: false,
        })
      : net.connect({ port, host: "127.0.0.1", localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const client = new RawPop3Client(socket);
    const greeting = await client.line();
    return { client, greeting };
  }

  private attach(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  /** Waits for what `take` finds in the buffer; gives up after 30 s (a test bug, not a hang). */
  private async waitFor<T>(take: () => T | null): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = take();
      if (value !== null) return value;
      if (this.closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error("no reply from the server in 30 s");
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, deadline - Date.now() + 1);
      });
      clearTimeout(timer);
      this.wake = null;
    }
  }

  /** The next line, without CRLF. */
  line(): Promise<string> {
    return this.waitFor(() => {
      const end = this.buffer.indexOf("\r\n");
      if (end === -1) return null;
      const line = this.buffer.subarray(0, end).toString("utf8");
      this.buffer = this.buffer.subarray(end + 2);
      return line;
    });
  }

  /** A multi-line body up to and including ".\r\n", as raw (still dot-stuffed) bytes. */
  body(): Promise<Buffer> {
    return this.waitFor(() => {
      if (this.buffer.subarray(0, 3).equals(Buffer.from(".\r\n"))) {
        this.buffer = this.buffer.subarray(3);
        return Buffer.alloc(0);
      }
      const end = this.buffer.indexOf("\r\n.\r\n");
      if (end === -1) return null;
      const body = this.buffer.subarray(0, end + 2);
      this.buffer = this.buffer.subarray(end + 5);
      return body;
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.line();
  }

  /** Sends a command expecting "+OK" and a multi-line body. */
  async multiline(line: string): Promise<{ status: string; body: Buffer }> {
    const status = await this.command(line);
    if (!status.startsWith("+OK")) return { status, body: Buffer.alloc(0) };
    return { status, body: await this.body() };
  }

  /** STLS, then TLS on the same socket. */
  async startTls(): Promise<string> {
    const reply = await this.command("STLS");
    if (reply.startsWith("+OK")) await this.upgradeTls();
    return reply;
  }

  /** The TLS handshake on this socket (after the server's "+OK" to STLS). */
  async upgradeTls(): Promise<void> {
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("close");
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Waits until the server hangs up. */
  async closedByServer(): Promise<void> {
    await this.waitFor(() => (this.closed ? true : null)).catch(() => {});
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Runs a Python script (poplib is imported for it, with no line-length cap:
 * corpus messages have lines longer than its 2048-byte default) and parses
 * what it printed as JSON.
 */
export async function poplib<T>(script: string, args: string[] = []): Promise<T> {
  const prelude = "import poplib, json, sys, ssl, hashlib, base64\npoplib._MAXLINE = 1 << 26\n";
  const { stdout } = await run("python3", ["-c", prelude + script, ...args], {
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}
