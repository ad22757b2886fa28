// The IMAP listeners (RFC 3501; RFC 8314 implicit TLS on port 993): plain
// connections that may upgrade with STARTTLS, or TLS from the first byte.
// Each connection is one ImapSession; this file only accepts and closes.
import net from "node:net";
import tls from "node:tls";
import { ImapSession, type ImapServerOptions } from "./session.ts";

export type ImapServer = {
  server: net.Server;
  /** Ends every session with BYE and stops listening. */
  close(): Promise<void>;
};

export function createImapServer(
  options: ImapServerOptions & { implicitTls: boolean },
): ImapServer {
  const sessions = new Set<ImapSession>();
  const start = (socket: net.Socket | tls.TLSSocket) => {
    socket.on("error", () => {});
    // Responses are many small writes: without this, Nagle's algorithm and
    // the client's delayed ACK add ~40 ms to a command.
    socket.setNoDelay(true);
    const session = new ImapSession(socket, options, (s) => sessions.delete(s));
    sessions.add(session);
    session.greet();
  };
  const server = options.implicitTls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, start)
    : net.createServer(start);
  server.on("tlsClientError", () => {});
  return {
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) {
        session.untagged("BYE Server shutting down");
        session.close();
      }
      await closed;
    },
  };
}

export function listenImap(server: ImapServer, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.server.once("error", reject);
    server.server.listen(port, host, () => {
      server.server.off("error", reject);
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}
