// The TRANSACTION and UPDATE states (RFC 1939 §5, §6) over the maildrop
// snapshot taken at login. Messages are served byte-exact from the stored
// source; RETR marks the message read (TOP does not: it is a preview), as
// Gmail's POP does and as the webmail shows. DELE only marks; QUIT applies
// the marks in one store call (lib/store/maildrop.ts: moved to Trash).
import { isUserError } from "../../../lib/errors.ts";
import { getRawMessageOrThrow } from "../../../lib/store/get-message.ts";
import { deleteFromMaildrop, type MaildropMessage } from "../../../lib/store/maildrop.ts";
import { updateFlags } from "../../../lib/store/update-flags.ts";
import { encodeMultiline, parseArgs, topOf } from "../parse.ts";
import { REPLIES } from "../replies.ts";
import { capa } from "./authorization.ts";
import type { CommandHandler, Pop3Session } from "../session.ts";

const messagesOf = (session: Pop3Session) => session.maildrop!.messages;

/** Message `number` unless it is past the end or marked deleted (RFC 1939 §5). */
function messageAt(session: Pop3Session, number: number): MaildropMessage | null {
  if (session.deleted.has(number)) return null;
  return messagesOf(session)[number - 1] ?? null;
}

/** Count and octets of the messages not marked deleted. */
function totals(session: Pop3Session): { count: number; octets: number } {
  let count = 0;
  let octets = 0;
  messagesOf(session).forEach((m, i) => {
    if (session.deleted.has(i + 1)) return;
    count++;
    octets += m.size;
  });
  return { count, octets };
}

const stat: CommandHandler = async (session, args) => {
  if (args.length > 0) return session.badCommand("-ERR STAT takes no arguments");
  const { count, octets } = totals(session);
  await session.send(`+OK ${count} ${octets}`);
};

/** LIST and UIDL: one message's line, or all of them as a multi-line reply. */
function listing(verb: "LIST" | "UIDL", value: (m: MaildropMessage) => string): CommandHandler {
  return async (session, args) => {
    const parsed = parseArgs(verb, args);
    if (!parsed.ok) return session.badCommand(`-ERR ${verb}: ${parsed.reason}`);
    const [number] = parsed.value;
    if (number !== undefined) {
      const message = messageAt(session, number);
      if (!message) return session.send(REPLIES.noSuchMessage);
      return session.send(`+OK ${number} ${value(message)}`);
    }
    const { count, octets } = totals(session);
    const lines = [`+OK ${count} messages (${octets} octets)`];
    messagesOf(session).forEach((m, i) => {
      if (!session.deleted.has(i + 1)) lines.push(`${i + 1} ${value(m)}`);
    });
    lines.push(".");
    await session.send(lines.join("\r\n"));
  };
}

/** The stored bytes of a message, or the reply already sent when they cannot be had. */
async function sourceOf(session: Pop3Session, message: MaildropMessage): Promise<Buffer | null> {
  try {
    return (await getRawMessageOrThrow(session.account!.id, message.id)).raw;
  } catch (error) {
    if (isUserError(error) && error.code === "not_found") {
      await session.send(REPLIES.messageGone);
    } else {
      session.options.log(`pop3: reading a message failed: ${(error as Error).message}`);
      await session.send(REPLIES.temporaryFailure);
    }
    return null;
  }
}

const retr: CommandHandler = async (session, args) => {
  const parsed = parseArgs("RETR", args);
  if (!parsed.ok) return session.badCommand(`-ERR RETR: ${parsed.reason}`);
  const message = messageAt(session, parsed.value[0]);
  if (!message) return session.send(REPLIES.noSuchMessage);
  const source = await sourceOf(session, message);
  if (!source) return;
  const markedSeen = message.seen
    ? Promise.resolve()
    : updateFlags(session.account!.id, [message.id], { seen: true }).then(
        () => void (message.seen = true),
        (error: unknown) => {
          // Still serve the message: failing to mark it read must not fail the download.
          if (!isUserError(error))
            session.options.log(`pop3: marking read failed: ${(error as Error).message}`);
        },
      );
  await session.send(`+OK ${source.length} octets`);
  await session.send(encodeMultiline(source));
  await markedSeen;
};

const top: CommandHandler = async (session, args) => {
  const parsed = parseArgs("TOP", args);
  if (!parsed.ok) return session.badCommand(`-ERR TOP: ${parsed.reason}`);
  const [number, lines] = parsed.value;
  const message = messageAt(session, number);
  if (!message) return session.send(REPLIES.noSuchMessage);
  const source = await sourceOf(session, message);
  if (!source) return;
  await session.send("+OK Top of message follows");
  await session.send(encodeMultiline(topOf(source, lines)));
};

const dele: CommandHandler = async (session, args) => {
  const parsed = parseArgs("DELE", args);
  if (!parsed.ok) return session.badCommand(`-ERR DELE: ${parsed.reason}`);
  const number = parsed.value[0];
  if (session.deleted.has(number)) return session.send(REPLIES.alreadyDeleted);
  if (!messageAt(session, number)) return session.send(REPLIES.noSuchMessage);
  session.deleted.add(number);
  await session.send(`+OK Message ${number} deleted`);
};

const rset: CommandHandler = async (session, args) => {
  if (args.length > 0) return session.badCommand("-ERR RSET takes no arguments");
  session.deleted.clear();
  const { count, octets } = totals(session);
  await session.send(`+OK Maildrop has ${count} messages (${octets} octets)`);
};

const noop: CommandHandler = async (session, args) => {
  if (args.length > 0) return session.badCommand("-ERR NOOP takes no arguments");
  await session.send("+OK");
};

/** RFC 1939 §6: the UPDATE state. Deletions happen here, in one store call, or not at all. */
const quit: CommandHandler = async (session) => {
  const ids = [...session.deleted].map((n) => messagesOf(session)[n - 1]!.id);
  const hostname = session.options.hostname;
  if (ids.length === 0) {
    await session.send(`+OK ${hostname} POP3 server signing off`);
    return session.close();
  }
  try {
    await session.options.track(
      deleteFromMaildrop(session.account!.id, session.maildrop!.mailboxId, ids),
    );
    await session.send(`+OK ${hostname} POP3 server signing off (${ids.length} messages deleted)`);
  } catch (error) {
    session.options.log(`pop3: deleting at QUIT failed: ${(error as Error).message}`);
    await session.send("-ERR [SYS/TEMP] Deleted messages were not removed, try again later");
  }
  session.close();
};

export const TRANSACTION_COMMANDS: Record<string, CommandHandler> = {
  STAT: stat,
  LIST: listing("LIST", (m) => String(m.size)),
  UIDL: listing("UIDL", (m) => m.id),
  RETR: retr,
  TOP: top,
  DELE: dele,
  RSET: rset,
  NOOP: noop,
  CAPA: capa,
  QUIT: quit,
};
