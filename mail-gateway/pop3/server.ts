// The POP3 listeners: plain with STLS (port 110, RFC 2595) or implicit TLS
// (port 995, RFC 8314), same sessions on both. Hand-written on node:net and
// node:tls; the protocol lives in session.ts and commands/.
//
// Several sessions may open the same maildrop at once (as Dovecot allows by
// default, pop3_lock_session=no) instead of refusing with [IN-USE]: a lock
// would need a Postgres connection held per session or a lease row that a
// crashed gateway leaves behind, and locking out a phone for minutes is
// worse than what can happen without one. Each session works on its own
// snapshot; QUIT moves only the messages still in the Inbox; a message
// another session removed answers "-ERR Message was removed by another session".
import net from "node:net";
import tls from "node:tls";
import type { TlsCredentials } from "../smtp/tls.ts";
import { Pop3Session } from "./session.ts";

export type Pop3ServerOptions = {
  hostname: string;
  tls: TlsCredentials;
  /** True for the port-995 listener: TLS from the first byte, no STLS. */
  implicitTls: boolean;
  allowInsecureAuth: boolean;
  log: (line: string) => void;
  track: <T>(work: Promise<T>) => Promise<T>;
};

export type Pop3Server = {
  server: net.Server;
  /** Stops accepting, lets running commands finish, closes every session. */
  close(): Promise<void>;
};

export function createPop3Server(options: Pop3ServerOptions): Pop3Server {
  const secureContext = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert });
  const sessions = new Set<Pop3Session>();
  const onConnection = (socket: net.Socket) => {
    const session = new Pop3Session(
      socket,
      {
        hostname: options.hostname,
        secureContext,
        allowInsecureAuth: options.allowInsecureAuth,
        log: options.log,
        track: options.track,
      },
      options.implicitTls,
    );
    sessions.add(session);
    socket.once("close", () => sessions.delete(session));
    void session.start();
  };
  const server = options.implicitTls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection)
    : net.createServer(onConnection);
  if (options.implicitTls) {
    // A client that fails the handshake never becomes a session; do not let it go unheard.
    server.on("tlsClientError", (_error: Error, socket: tls.TLSSocket) => socket.destroy());
  }
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.shutdown();
      }),
  };
}
