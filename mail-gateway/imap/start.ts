// Starts the gateway's IMAP listeners (STARTTLS port and implicit-TLS port)
// as configured, so gateway.ts wires IMAP in one line.
import type { Config } from "../../lib/config/index.ts";
import type { TlsCredentials } from "../smtp/tls.ts";
import { createImapServer, listenImap, type ImapServer } from "./server.ts";

export type StartedImap = {
  port: number | null;
  tlsPort: number | null;
  close(): Promise<void>;
};

export async function startImap(context: {
  options: { imapPort?: number | null; imapsPort?: number | null; maxMessageBytes?: number };
  config: Config;
  tls: TlsCredentials;
  host: string;
  log: (line: string) => void;
}): Promise<StartedImap> {
  const { options, config, host, log } = context;
  const running: ImapServer[] = [];
  const start = async (port: number | null, implicitTls: boolean): Promise<number | null> => {
    if (port === null) return null;
    const imap = createImapServer({
      hostname: config.hostname,
      tls: context.tls,
      allowInsecureAuth: config.allowInsecureAuth,
      maxMessageBytes: options.maxMessageBytes ?? config.maxMessageBytes,
      log,
      implicitTls,
    });
    imap.server.on("error", (error: Error) => log(`gateway: imap server error: ${error.message}`));
    const bound = await listenImap(imap, port, host);
    running.push(imap);
    log(`gateway: imap${implicitTls ? "s (implicit TLS)" : ""} listening on ${host}:${bound}`);
    return bound;
  };
  const port = await start(
    options.imapPort === undefined ? config.imap.port : options.imapPort,
    false,
  );
  const tlsPort = await start(
    options.imapsPort === undefined ? config.imap.tlsPort : options.imapsPort,
    true,
  );
  return {
    port,
    tlsPort,
    close: async () => {
      await Promise.all(running.map((s) => s.close()));
    },
  };
}
