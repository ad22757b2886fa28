// Putting messages straight on the outbound queue (as lib/store does for a
// submission) and reading back what became of them, for relay tests that
// need many messages or a relay running in another process.
import { createHash } from "node:crypto";
import { withTransaction } from "../../lib/db/sql.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { createStaticResolver, type DnsResolver } from "../../lib/dns/resolver.ts";
import { enqueueStatement } from "../../lib/queue/enqueue.ts";
import { deliverOwedReports } from "../../lib/queue/reports.ts";
import type { SenderReport } from "../../lib/queue/results.ts";
import { RelayWorker } from "../../mail-gateway/relay/worker.ts";

export type QueuedMessage = { messageId: string; recipients: string[]; submissionId: string };

let counter = 0;

/** A small message with a unique Message-ID; its bytes differ per call. */
export function outboundMessage(
  recipients: string[],
  idPrefix = "out",
): {
  messageId: string;
  raw: Buffer;
} {
  const n = ++counter;
  const messageId = `<${idPrefix}-${n}.${process.pid}.${Date.now()}@mail.test>`;
  const raw = Buffer.from(
    `From: sender@mail.test\r\nTo: ${recipients.join(", ")}\r\nSubject: test ${n}\r\n` +
      `Message-ID: ${messageId}\r\n\r\nHello number ${n}\r\n`,
  );
  return { messageId, raw };
}

/**
 * Stores each message's source and queues it for its recipients, in
 * transactions of up to 100 messages (each commit NOTIFYs the relay workers).
 */
export async function queueOutbound(
  messages: { recipients: string[]; mailFrom?: string; lifetimeSeconds?: number; raw?: Buffer }[],
  idPrefix = "out",
): Promise<QueuedMessage[]> {
  const queued: QueuedMessage[] = [];
  for (let start = 0; start < messages.length; start += 100) {
    const batch = messages.slice(start, start + 100);
    await withTransaction(async (client) => {
      for (const message of batch) {
        const built = message.raw
          ? { raw: message.raw, messageId: messageIdOf(message.raw) ?? "" }
          : outboundMessage(message.recipients, idPrefix);
        const sha256 = createHash("sha256").update(built.raw).digest("hex");
        await client.query(
          `INSERT INTO "MessageSource" ("sha256", "raw", "size") VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [sha256, built.raw, built.raw.length],
        );
        const mailFrom = message.mailFrom ?? "sender@mail.test";
        const { rows } = await client.query<{ submissionId: string }>(
          enqueueStatement({
            accountId: null,
            sourceSha256: sha256,
            recipients: message.recipients.map((recipient) => ({ recipient, mailFrom })),
            notBefore: new Date(),
            lifetimeSeconds: message.lifetimeSeconds ?? 3600,
          }).toQuery(),
        );
        queued.push({
          messageId: built.messageId,
          recipients: message.recipients,
          submissionId: rows[0]!.submissionId,
        });
      }
    });
  }
  return queued;
}

/** The Message-ID header of raw message bytes. */
export function messageIdOf(raw: Buffer): string | null {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString("latin1");
  const end = head.indexOf("\r\n\r\n");
  return (
    /^Message-ID:[ \t]*(<[^>\r\n]+>)/im.exec(end >= 0 ? head.slice(0, end) : head)?.[1] ?? null
  );
}

/** How many times each Message-ID arrived at a peer. */
export function countByMessageId(received: { raw: Buffer }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of received) {
    const id = messageIdOf(message.raw) ?? "(none)";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * A relay worker in this process with test settings (fast retries and polls)
 * plus `env` (RELAY_* variables); the reports its own outcomes owe are
 * collected, not delivered (as if it died before sending them); with
 * `deliverOwedReports` it sends those other instances left owed, as a
 * gateway's worker does. Stop it with `worker.stop()`.
 */
export function startRelayWorker(
  env: Record<string, string>,
  options: {
    resolver?: DnsResolver;
    reports?: SenderReport[];
    hostname?: string;
    deliverOwedReports?: boolean;
  } = {},
) {
  const reports = options.reports ?? [];
  const worker = new RelayWorker({
    relay: parseConfig({
      RELAY_RETRY_BASE_SECONDS: "1",
      RELAY_RETRY_MAX_SECONDS: "2",
      RELAY_POLL_SECONDS: "0.1",
      ...env,
    }).relay,
    hostname: options.hostname ?? "mx.mail.test",
    resolver: options.resolver ?? createStaticResolver({}),
    deliverReports: async (r) => void reports.push(...r),
    deliverOwedReports: options.deliverOwedReports
      ? (owner) => deliverOwedReports(owner, () => {})
      : undefined,
    log: () => {},
  });
  worker.start();
  return { worker, reports };
}
