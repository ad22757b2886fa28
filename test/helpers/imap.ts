// IMAP tests: the gateway with its IMAP listeners on free ports (plain with
// STARTTLS, and implicit TLS), plain-text login allowed as in development
// unless a test says otherwise, and a raw line client for exact replies.
import net from "node:net";
import tls from "node:tls";
import { parseConfig } from "../../lib/config/index.ts";
import { startTestGateway, MX_HOSTNAME, type TestGateway } from "./smtp-harness.ts";

export async function startImapGateway(
  options: { allowInsecureAuth?: boolean; maxMessageBytes?: number } = {},
): Promise<TestGateway & { imapPort: number; imapsPort: number }> {
  const gateway = await startTestGateway({
    imapPort: 0,
    imapsPort: 0,
    relay: false,
    maxMessageBytes: options.maxMessageBytes,
    config: parseConfig({
      ...process.env,
      MAIL_DOMAIN: "mail.test",
      MAIL_HOSTNAME: MX_HOSTNAME,
      ALLOW_INSECURE_AUTH: options.allowInsecureAuth === false ? "false" : "true",
    }),
  });
  return gateway as TestGateway & { imapPort: number; imapsPort: number };
}

/**
 * A bare IMAP client: writes exactly what it is told and collects response
 * lines (literals are folded into their line, as "{n}\r\n<bytes>").
 */
export class RawImapClient {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private tagCounter = 0;

  constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  /** `localAddress`: the client's source, e.g. "127.0.0.5" (Linux routes all of 127/8 on loopback). */
  static async connect(
    port: number,
    secure = false,
    options: { localAddress?: string } = {},
  ): Promise<RawImapClient> {
    const { localAddress } = options;
    const socket = secure
      ? tls.connect({
          socket: net.connect({ port, host: "127.0.0.1", localAddress }),
          rejectUnauthorized: false,
        })
      : net.connect({ port, host: "127.0.0.1", localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(secure ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const client = new RawImapClient(socket);
    await client.readLine();
    return client;
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.split();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  private split(): void {
    for (;;) {
      const lf = this.buffer.indexOf(0x0a);
      if (lf === -1) return;
      let line = this.buffer.subarray(0, lf + 1).toString("latin1");
      let end = lf + 1;
      // A line may carry several literals (BODYSTRUCTURE with 8-bit parameters).
      for (let literal = /\{(\d+)\}\r\n$/.exec(line); literal;) {
        const size = Number(literal[1]);
        if (this.buffer.length < end + size) return;
        line += this.buffer.subarray(end, end + size).toString("latin1");
        end += size;
        const rest = this.buffer.indexOf(0x0a, end);
        if (rest === -1) return;
        const tail = this.buffer.subarray(end, rest + 1).toString("latin1");
        line += tail;
        end = rest + 1;
        literal = /\{(\d+)\}\r\n$/.exec(tail);
      }
      this.buffer = this.buffer.subarray(end);
      this.lines.push(line.replace(/\r\n$/, ""));
      this.wake();
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async readLine(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) return "";
      if (Date.now() > deadline) throw new Error("no IMAP response in time");
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.lines.shift()!;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `tag command` and returns every line up to the tagged reply (last). */
  async command(
    text: string,
    tag = `t${++this.tagCounter}`,
    timeoutMs?: number,
  ): Promise<string[]> {
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  async until(tag: string, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const line = await this.readLine(timeoutMs);
      if (line === "" && this.closed) return out;
      out.push(line);
      if (line.startsWith(`${tag} `)) return out;
    }
  }

  async startTls(): Promise<void> {
    const reply = await this.command("STARTTLS");
    if (!reply[reply.length - 1]!.includes("OK")) throw new Error(reply.join("\n"));
    this.socket.removeAllListeners("data");
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
