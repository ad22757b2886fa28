// One-click unsubscribe from list mail: the way out a message's header
// offers (lib/mime/list-unsubscribe.ts), taken for the user. In order of
// preference: RFC 8058 one-click, a POST our server makes (never the
// browser: the list learns nothing about it, and the URL passes the SSRF
// checks of lib/http/safe-post.ts); else the RFC 2369 mailto:, a message
// sent through submitMessage like any other the user sends (Sent copy,
// limits, DKIM); else a web page the user opens themself.
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { matchSenderAddress, senderAddresses } from "../accounts/sender-addresses.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { postSafely } from "../http/safe-post.ts";
import { parseListUnsubscribe, type UnsubscribeOptions } from "../mime/list-unsubscribe.ts";
import { isUuid } from "../store/list-messages.ts";
import { submitMessage } from "../submission/submit-message.ts";

/** Header bytes read for List-Unsubscribe (the fields sit in the header block). */
const HEADER_READ_BYTES = 64 * 1024;

type Row = { raw: Uint8Array; toList: unknown; ccList: unknown };

async function readMessage(accountId: string, messageId: string): Promise<Row> {
  const [row] = isUuid(messageId)
    ? await db.$queryRaw<Row[]>`
        SELECT substring(s."raw" FROM 1 FOR ${HEADER_READ_BYTES}::int) AS "raw", m."toList", m."ccList"
        FROM "Message" m JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"
        WHERE m."accountId" = ${accountId}::uuid AND m."id" = ${messageId}::uuid`
    : [];
  if (!row) throw new UserError("not_found", "No such message.");
  return row;
}

/** What the account's message offers for unsubscribing. */
export async function getUnsubscribeOptions(
  accountId: string,
  messageId: string,
): Promise<UnsubscribeOptions> {
  return parseListUnsubscribe((await readMessage(accountId, messageId)).raw);
}

export type UnsubscribeOutcome = "one-click" | "mailto";

/** The user's address the list wrote to (an alias they own counts), else their own. */
async function subscribedAddress(accountId: string, row: Row): Promise<string> {
  const allowed = await senderAddresses(accountId);
  const listed = [row.toList, row.ccList].flatMap((l) => (Array.isArray(l) ? l : []));
  for (const entry of listed as { address?: unknown }[]) {
    const match =
      typeof entry?.address === "string" ? matchSenderAddress(allowed, entry.address) : null;
    if (match) return match;
  }
  return allowed[0]!;
}

/**
 * Unsubscribes by one-click POST or mailto: (the web-page fallback is the
 * user's to follow). UserError when the message offers neither, the URL is
 * refused, or the list's server does not accept (its status is said).
 */
export async function unsubscribe(
  accountId: string,
  messageId: string,
  via: { clientIp: string },
): Promise<UnsubscribeOutcome> {
  const row = await readMessage(accountId, messageId);
  const options = parseListUnsubscribe(row.raw);
  if (options.oneClick) {
    // RFC 8058 §3.2: the body is "List-Unsubscribe=One-Click", form-encoded;
    // no cookies or credentials of the user are sent.
    const status = await postSafely(options.oneClick, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    if (status < 200 || status >= 300) {
      throw new UserError("invalid_input", `The list's server refused (HTTP ${status}).`);
    }
    return "one-click";
  }
  if (options.mailto) {
    const from = await subscribedAddress(accountId, row);
    const raw = await new MailComposer({
      from,
      to: options.mailto.to,
      subject: options.mailto.subject,
      text: options.mailto.body,
    })
      .compile()
      .build();
    await submitMessage({
      accountId,
      recipients: [options.mailto.to],
      raw,
      via: { protocol: "webmail", clientIp: via.clientIp },
    });
    return "mailto";
  }
  throw new UserError("invalid_input", "This message offers no automatic way to unsubscribe.");
}
