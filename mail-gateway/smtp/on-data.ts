// DATA (RFC 5321 §4.1.1.4): receive the message, have lib deliver it, and
// answer 250 only once every copy is committed (RFC 5321 §6.1: accepting is
// taking responsibility). Any failure before that is 4xx, so the sender
// keeps the message and retries.
import { randomBytes } from "node:crypto";
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import type { DnsResolver } from "../../lib/dns/index.ts";
import type { ContentScorer } from "../../lib/spam/verdict.ts";
import { DeliveryError, deliverInbound, spoolMessage } from "../../lib/delivery/index.ts";
import { acceptedReply, deliveryReply, replyError, replyForError } from "./replies.ts";
import type { TransactionState } from "./transaction.ts";
import { describeSession } from "./describe-session.ts";

export type DataHandlerOptions = {
  hostname: string;
  resolver: DnsResolver;
  maxMessageBytes: number;
  spoolDir: string;
  /** The verdict pipeline's content step (lib/spam/verdict.ts); default none. */
  contentScorer?: ContentScorer;
  log: (line: string) => void;
  /** Told of each delivery in progress, so shutdown can wait for it. */
  track: <T>(work: Promise<T>) => Promise<T>;
};

export function createOnData(state: TransactionState, options: DataHandlerOptions) {
  return (
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ) => {
    options.track(receive(stream, session, state, options)).then(
      (id) => callback(null, acceptedReply(id)),
      (error: unknown) => callback(error as Error),
    );
  };
}

async function receive(
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  state: TransactionState,
  options: DataHandlerOptions,
): Promise<string> {
  const id = randomBytes(8).toString("hex");
  const message = await spoolMessage(stream, {
    maxBytes: options.maxMessageBytes,
    dir: options.spoolDir,
  }).catch((error: unknown) => {
    options.log(`smtp ${session.id}: spooling failed: ${(error as Error).message}`);
    throw replyError(replyForError(error));
  });
  try {
    // RFC 1870 §6.3: the limit holds for what arrived, whatever SIZE said.
    if (message.tooLarge || stream.sizeExceeded) throw replyError(deliveryReply("too_large"));
    const envelope = session.envelope;
    const result = await deliverInbound(
      describeSession(session, id),
      {
        mailFrom: envelope.mailFrom ? envelope.mailFrom.address : "",
        recipients: state.acceptedRecipients(envelope),
      },
      message,
      {
        hostname: options.hostname,
        resolver: options.resolver,
        contentScorer: options.contentScorer,
        log: options.log,
      },
    );
    if (result.parseError)
      options.log(`smtp ${session.id}: ${id} stored unparsed: ${result.parseError.message}`);
    return id;
  } catch (error) {
    if ((error as { responseCode?: number }).responseCode) throw error;
    if (error instanceof DeliveryError)
      throw replyError(deliveryReply(error.reason, error.message));
    options.log(`smtp ${session.id}: delivery of ${id} failed: ${(error as Error).message}`);
    throw replyError(replyForError(error));
  } finally {
    await message.dispose();
  }
}
