// Starts the gateway's POP3 listeners (STLS port and implicit-TLS port) as
// configured, so gateway.ts wires POP3 in one line.
import type net from "node:net";
import type { Config } from "../../lib/config/index.ts";
import type { TlsCredentials } from "../smtp/tls.ts";
import { createPop3Server, type Pop3Server } from "./server.ts";

export type StartedPop3 = {
  port: number | null;
  tlsPort: number | null;
  close(): Promise<void>;
};

export async function startPop3(context: {
  options: { pop3Port?: number | null; pop3TlsPort?: number | null };
  config: Config;
  tls: TlsCredentials;
  host: string;
  log: (line: string) => void;
  track: <T>(work: Promise<T>) => Promise<T>;
}): Promise<StartedPop3> {
  const { options, config, host, log } = context;
  const wanted = {
    plain: options.pop3Port === undefined ? config.pop3.port : options.pop3Port,
    implicit: options.pop3TlsPort === undefined ? config.pop3.tlsPort : options.pop3TlsPort,
  };
  const running: Pop3Server[] = [];
  const start = async (port: number | null, implicitTls: boolean): Promise<number | null> => {
    if (port === null) return null;
    const pop3 = createPop3Server({
      hostname: config.hostname,
      tls: context.tls,
      implicitTls,
      allowInsecureAuth: config.allowInsecureAuth,
      log,
      track: context.track,
    });
    pop3.server.on("error", (error: Error) => log(`gateway: pop3 server error: ${error.message}`));
    const bound = await listen(pop3.server, port, host);
    running.push(pop3);
    log(`gateway: pop3${implicitTls ? "s (implicit TLS)" : ""} listening on ${host}:${bound}`);
    return bound;
  };
  const port = await start(wanted.plain, false);
  const tlsPort = await start(wanted.implicit, true);
  return {
    port,
    tlsPort,
    close: async () => {
      await Promise.all(running.map((s) => s.close()));
    },
  };
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}
