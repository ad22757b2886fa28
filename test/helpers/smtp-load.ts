// A lean SMTP load generator: many connections, each sending transaction
// after transaction with MAIL, RCPT and DATA pipelined (RFC 2920), on raw
// sockets so the client costs little CPU next to the server it measures.
// Used by the durability tests and by `npm run bench:smtp`.
import net from "node:net";

export type LoadOptions = {
  port: number;
  host?: string;
  connections: number;
  recipients: string[];
  /** The message for an id; lines must not start with "." (no dot-stuffing is done). */
  message: (id: string) => Buffer;
  /** Each connection stops after this many transactions. */
  messagesPerConnection?: number;
  /** Open a new connection when one is closed by the server (not after stop()). */
  reconnect?: boolean;
  idPrefix?: string;
};

export type LoadStats = {
  /** Ids of messages answered 250 after DATA, in order. */
  acked: string[];
  /** Final DATA replies and refused RCPTs by code. */
  codes: Map<number, number>;
  /** The first reply text seen for each code. */
  texts: Map<number, string>;
  /** Connections that failed or were cut. */
  connectionErrors: number;
  /** Transactions whose connection died before the final reply. */
  unanswered: number;
};

export type Load = LoadStats & {
  /** Stop after the transactions in progress. */
  stop(): void;
  done: Promise<void>;
};

export function startLoad(options: LoadOptions): Load {
  const load: Load = {
    acked: [],
    codes: new Map(),
    texts: new Map(),
    connectionErrors: 0,
    unanswered: 0,
    stop: () => {
      stopped = true;
    },
    done: Promise.resolve(),
  };
  let stopped = false;
  let counter = 0;
  const count = (reply: { code: number; text: string }) => {
    load.codes.set(reply.code, (load.codes.get(reply.code) ?? 0) + 1);
    if (!load.texts.has(reply.code)) load.texts.set(reply.code, reply.text);
  };
  const envelope =
    "MAIL FROM:<load@example.org>\r\n" +
    options.recipients.map((r) => `RCPT TO:<${r}>\r\n`).join("") +
    "DATA\r\n";

  async function worker(index: number): Promise<void> {
    let sent = 0;
    for (;;) {
      const conn = await open(options.port, options.host ?? "127.0.0.1").catch(() => null);
      if (!conn) {
        load.connectionErrors++;
        if (!options.reconnect || stopped) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        if ((await conn.reply()).code !== 220) throw new Error("no greeting");
        conn.write(`EHLO load${index}.example.org\r\n`);
        if ((await conn.reply()).code !== 250) throw new Error("EHLO refused");
        while (!stopped && sent < (options.messagesPerConnection ?? Infinity)) {
          const id = `${options.idPrefix ?? "load"}-${index}-${counter++}`;
          sent++;
          conn.write(envelope);
          const mail = await conn.reply();
          let accepted = 0;
          for (let i = 0; i < options.recipients.length; i++) {
            const rcpt = await conn.reply();
            if (rcpt.code === 250) accepted++;
            else count(rcpt);
          }
          const data = await conn.reply();
          if (mail.code !== 250 || accepted === 0 || data.code !== 354) {
            if (data.code === 354) {
              // Unexpected go-ahead: an empty message gets the session back in step.
              conn.write(".\r\n");
              await conn.reply();
            }
            conn.write("RSET\r\n");
            await conn.reply();
            if (mail.code !== 250) count(mail);
            continue;
          }
          conn.write(Buffer.concat([options.message(id), Buffer.from(".\r\n")]));
          const final = await conn.reply().catch((error: unknown) => {
            load.unanswered++;
            throw error;
          });
          count(final);
          if (final.code === 250) load.acked.push(id);
        }
        conn.write("QUIT\r\n");
        await conn.reply().catch(() => undefined);
        conn.close();
        return;
      } catch {
        conn.close();
        load.connectionErrors++;
        if (!options.reconnect || stopped) return;
      }
    }
  }

  load.done = Promise.all(Array.from({ length: options.connections }, (_, i) => worker(i))).then(
    () => undefined,
  );
  return load;
}

type Connection = {
  write: (data: string | Buffer) => void;
  reply: () => Promise<{ code: number; text: string }>;
  close: () => void;
};

function open(port: number, host: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let buffer = "";
    let lines: string[] = [];
    const ready: { code: number; text: string }[] = [];
    const waiting: {
      resolve: (r: { code: number; text: string }) => void;
      reject: (e: Error) => void;
    }[] = [];
    let failed: Error | null = null;
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf("\r\n")) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        lines.push(line);
        if (line[3] === "-") continue;
        const reply = { code: Number(line.slice(0, 3)), text: lines.join("\n") };
        lines = [];
        const waiter = waiting.shift();
        if (waiter) waiter.resolve(reply);
        else ready.push(reply);
      }
    });
    const fail = (error: Error) => {
      failed ??= error;
      for (const waiter of waiting.splice(0)) waiter.reject(failed);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
    socket.once("connect", () =>
      resolve({
        write: (data) => {
          if (!failed) socket.write(data);
        },
        reply: () => {
          const next = ready.shift();
          if (next) return Promise.resolve(next);
          if (failed) return Promise.reject(failed);
          return new Promise((res, rej) => waiting.push({ resolve: res, reject: rej }));
        },
        close: () => socket.destroy(),
      }),
    );
    socket.once("error", reject);
  });
}

/** A message of about `size` bytes with a unique Message-ID, in lines no client would have to dot-stuff. */
export function loadMessage(id: string, size: number, to = "bob@mail.test"): Buffer {
  const header =
    `From: Load <load@example.org>\r\nTo: ${to}\r\nSubject: load ${id}\r\n` +
    `Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${id}@example.org>\r\n\r\n`;
  const words =
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ".repeat(2);
  const lines: string[] = [];
  let length = header.length;
  for (let i = 0; length < size; i++) {
    const line = `${i} ${words}`.slice(0, 76);
    lines.push(line);
    length += line.length + 2;
  }
  return Buffer.from(header + lines.join("\r\n") + "\r\n");
}
