// A scriptable SMTP server standing in for another domain's MX: it accepts,
// answers 4xx or 5xx, drops the connection mid-DATA, or is slow, and records
// what it received and over how many connections.
import { after } from "node:test";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { getFreePort } from "./net.ts";

export type PeerBehaviour =
  | { kind: "accept" }
  | { kind: "reply"; stage: "rcpt" | "data"; code: number; message: string }
  | { kind: "drop-mid-data" };

export type ReceivedMessage = {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  connectionId: string;
  /** The name the client gave in EHLO/HELO. */
  clientHostname: string;
  /** The transaction ran over STARTTLS. */
  secure: boolean;
  /** The AUTH user, when the client authenticated. */
  user: string | null;
};

export type SmtpPeer = {
  port: number;
  received: ReceivedMessage[];
  connections: Set<string>;
  /** Most connections open at once. */
  maxOpenConnections: number;
  /** Per recipient (or "*" for all): what to do with it. */
  behaviours: Map<string, PeerBehaviour>;
  delayMs: number;
  close: () => Promise<void>;
  waitForMessages: (count: number, timeoutMs?: number) => Promise<void>;
};

export async function startSmtpPeer(
  options: {
    port?: number;
    /** Offer STARTTLS (smtp-server's built-in self-signed certificate). */
    starttls?: boolean;
    /** Offer AUTH (also without TLS) and accept only this user, as a smarthost would. */
    auth?: { user: string; pass: string };
  } = {},
): Promise<SmtpPeer> {
  const port = options.port ?? (await getFreePort());
  let open = 0;
  const peer: SmtpPeer = {
    port,
    received: [],
    connections: new Set(),
    maxOpenConnections: 0,
    behaviours: new Map(),
    delayMs: 0,
    close: async () => {},
    waitForMessages: async () => {},
  };
  const behaviourFor = (address: string): PeerBehaviour =>
    peer.behaviours.get(address.toLowerCase()) ?? peer.behaviours.get("*") ?? { kind: "accept" };
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: !options.auth,
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    disabledCommands: [
      ...(options.auth ? [] : ["AUTH"]),
      ...(options.starttls ? [] : ["STARTTLS"]),
    ],
    disableReverseLookup: true,
    logger: false,
    size: 50 * 1024 * 1024,
    onConnect(session, callback) {
      peer.connections.add(session.id);
      open++;
      peer.maxOpenConnections = Math.max(peer.maxOpenConnections, open);
      callback();
    },
    onClose() {
      open--;
    },
    onAuth(auth, _session, callback) {
      if (
        options.auth &&
        auth.username === options.auth.user &&
        auth.password === options.auth.pass
      )
        return callback(null, { user: auth.username });
      callback(new Error("Invalid username or password"));
    },
    onRcptTo(address, _session, callback) {
      const behaviour = behaviourFor(address.address);
      if (behaviour.kind === "reply" && behaviour.stage === "rcpt") {
        const error = Object.assign(new Error(behaviour.message), { responseCode: behaviour.code });
        return callback(error);
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      const behaviours = recipients.map(behaviourFor);
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (behaviours.some((b) => b.kind === "drop-mid-data")) {
          // Cut the connection as a crashing peer would.
          const connections = (
            server as unknown as {
              connections: Set<{ session: { id: string }; _socket: { destroy(): void } }>;
            }
          ).connections;
          for (const c of connections) if (c.session.id === session.id) c._socket.destroy();
        }
      });
      stream.on("end", () => {
        // The connection was cut: a crashed peer stores nothing, even when
        // the whole DATA arrived in the chunk that triggered the cut.
        if (behaviours.some((b) => b.kind === "drop-mid-data")) return;
        const finish = () => {
          const dataReply = behaviours.find((b) => b.kind === "reply" && b.stage === "data");
          if (dataReply && dataReply.kind === "reply") {
            return callback(
              Object.assign(new Error(dataReply.message), { responseCode: dataReply.code }),
            );
          }
          peer.received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            rcptTo: recipients,
            raw: Buffer.concat(chunks),
            connectionId: session.id,
            clientHostname: session.hostNameAppearsAs,
            secure: session.secure,
            user: typeof session.user === "string" ? session.user : null,
          });
          for (const wake of waiters) wake();
          callback(null, "2.0.0 Ok: queued");
        };
        if (peer.delayMs > 0) setTimeout(finish, peer.delayMs);
        else finish();
      });
    },
  });
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  let closed = false;
  peer.close = () =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          closed = true;
          server.close(() => resolve());
        });
  peer.waitForMessages = (count, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (peer.received.length >= count) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`peer got ${peer.received.length} of ${count} messages`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  after(() => peer.close());
  return peer;
}
