// The message size limit in force on the gateway's SMTP servers: the admin's
// service setting (lib/accounts/settings.ts) when one is stored, else the
// gateway's configured limit. Re-read every SETTINGS_CACHE_MS, so an admin's
// change reaches every gateway instance within seconds without a restart.
// smtp-server reads `options.size` on every EHLO (RFC 1870 SIZE), MAIL FROM
// SIZE= check and DATA, so updating it takes effect on the next command.
import type { SMTPServer } from "smtp-server";
import { getServiceSettings } from "../lib/accounts/settings.ts";
import { SETTINGS_CACHE_MS } from "../lib/config/limits.ts";

export class MessageSizeLimit {
  #bytes: number;
  readonly #fallback: number;
  readonly #servers: SMTPServer[] = [];
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(fallback: number, log: (line: string) => void) {
    this.#fallback = fallback;
    this.#bytes = fallback;
    this.#log = log;
  }

  /** The limit now, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps the server's advertised and enforced SIZE equal to the limit. */
  attach(server: SMTPServer): void {
    this.#servers.push(server);
    server.options.size = this.#bytes;
  }

  async refresh(): Promise<void> {
    try {
      const stored = (await getServiceSettings()).stored.maxMessageBytes;
      const bytes = stored ?? this.#fallback;
      if (bytes !== this.#bytes) this.#log(`gateway: message size limit now ${bytes} bytes`);
      this.#bytes = bytes;
      for (const server of this.#servers) server.options.size = bytes;
    } catch (error) {
      // The database is away: keep the last known limit.
      this.#log(`gateway: reading the message size limit failed: ${(error as Error).message}`);
    }
  }

  /** Reads the limit now, then keeps it fresh until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), SETTINGS_CACHE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
