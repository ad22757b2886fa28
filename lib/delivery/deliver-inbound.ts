// Inbound delivery: from an accepted SMTP transaction (envelope, recipients
// resolved at RCPT time, the spooled message) to stored copies. Runs the
// checks that need the message (loops), computes SPF/DKIM/DMARC, builds the
// trace headers, parses, and hands everything to lib/store in one delivery
// (one transaction). Knows nothing of SMTP replies: failures are typed.
import { createReadStream } from "node:fs";
import { MAX_CONCURRENT_LARGE_DELIVERIES, MAX_RECEIVED_HEADERS } from "../config/limits.ts";
import { createSemaphore } from "../concurrency.ts";
import type { DnsResolver } from "../dns/resolver.ts";
import {
  countHeaderFields,
  findHeaderEnd,
  formatHeaderLines,
  parseHeaderFields,
  type HeaderField,
} from "../mime/headers.ts";
import { emptyParsedMessage, parseMessage, type ParsedMessage } from "../mime/parse-message.ts";
import {
  OverQuotaError,
  storeDelivery,
  type HeldRecipients,
  type MessageBytes,
  type NewSource,
  type StoredCopy,
} from "../store/deliver.ts";
import { forwardingSender } from "../relay/srs.ts";
import { hostedDomainsAmong } from "../accounts/domains.ts";
import { authenticateMessage, senderClaimDomains } from "./authenticate-message.ts";
import type { AcceptedRecipient, ListInfo } from "./resolve-recipient.ts";
import { HEAD_BYTES, type SpooledMessage } from "./spool.ts";
import { startVacationReplies } from "./vacation.ts";
import { getSpamSettings } from "../spam/settings.ts";
import { scoreSpam } from "../spam/classifier/index.ts";
import { senderListVerdict } from "../spam/sender-lists.ts";
import { checkDnsLists } from "../spam/dns-lists.ts";
import { countRejectedMessage } from "../store/mail-volume.ts";
import {
  authenticationReasons,
  combineReasons,
  decideCopies,
  senderListReasons,
  rejectionOf,
  rejectionText,
  spamHeaderFields,
  type ContentScorer,
  type CopyDecision,
  type SpamReason,
  type SpamVerdict,
} from "../spam/verdict.ts";
import {
  formatReceived,
  returnPathField,
  withoutForgedAuthResults,
  type ReceivedInfo,
} from "./trace-headers.ts";

export type DeliveryRejection =
  /** More Received fields than MAX_RECEIVED_HEADERS (RFC 5321 §6.3). */
  | "mail_loop"
  /** A post to a list that already carries that list's List-Id: it came back around. */
  | "list_loop"
  /** Over the size limit (RFC 1870). */
  | "too_large"
  /** A recipient account has no room for this message. */
  | "over_quota"
  /**
   * The header section does not end within HEAD_BYTES: fields past that
   * could not be checked (a forged Authentication-Results, a second From).
   */
  | "header_too_large"
  /**
   * The verdict pipeline (lib/spam/verdict.ts) refuses it: a failed DMARC
   * p=reject, a forged hosted sender, a DNS blocklisting. The error's
   * message is the reason in words, for the 550 5.7.1 reply.
   */
  | "policy_rejected";

export class DeliveryError extends Error {
  readonly reason: DeliveryRejection;
  constructor(reason: DeliveryRejection, message: string) {
    super(message);
    this.name = "DeliveryError";
    this.reason = reason;
  }
}

// Parsing and authenticating a spooled message streams it from disk with a
// few MB of buffers; past this many at once they wait, so memory stays
// bounded however many large messages arrive together.
const largeDeliveries = createSemaphore(MAX_CONCURRENT_LARGE_DELIVERIES);

export type InboundSession = Omit<ReceivedInfo, "recipient" | "date" | "hostname">;

export type InboundEnvelope = {
  /** MAIL FROM; "" for the null reverse-path. */
  mailFrom: string;
  recipients: AcceptedRecipient[];
};

export type InboundOptions = {
  hostname: string;
  resolver: DnsResolver;
  now?: Date;
  /** The verdict pipeline's content step; default the built-in classifier (lib/spam/classifier). */
  contentScorer?: ContentScorer;
  /** Where a failing content scorer is reported (it never fails the delivery). */
  log?: (line: string) => void;
};

export type InboundResult = {
  copies: StoredCopy[];
  /** Recipients handed to the outbound queue. */
  queued: number;
  /** Set when mailparser failed: the message is stored and listed with empty fields. */
  parseError: Error | null;
};

/**
 * Delivers one accepted message. Resolves after the store committed; throws
 * DeliveryError for a refusal, anything else for a temporary failure (the
 * database), in which case nothing was stored. The caller disposes `message`.
 */
export async function deliverInbound(
  session: InboundSession,
  envelope: InboundEnvelope,
  message: SpooledMessage,
  options: InboundOptions,
): Promise<InboundResult> {
  if (message.memory) return deliverNow(session, envelope, message, options);
  return largeDeliveries.run(() => deliverNow(session, envelope, message, options));
}

async function deliverNow(
  session: InboundSession,
  envelope: InboundEnvelope,
  message: SpooledMessage,
  options: InboundOptions,
): Promise<InboundResult> {
  if (message.tooLarge) throw new DeliveryError("too_large", "message exceeds the size limit");
  const now = options.now ?? new Date();
  const found = findHeaderEnd(message.head);
  // A message kept in memory is all in `head`: with no empty line, it is
  // all header (RFC 5322 §3.5). A spooled one whose header goes on past
  // `head` could hide fields from every check here.
  if (found === -1 && !message.memory) {
    throw new DeliveryError(
      "header_too_large",
      `the header section is longer than ${HEAD_BYTES / 1024} KiB`,
    );
  }
  const headerEnd = found === -1 ? message.head.length : found;
  const head = message.head.subarray(0, headerEnd);
  const fields = parseHeaderFields(head);

  // RFC 5321 §6.3: a message that has passed too many hops is looping.
  if (countHeaderFields(fields, "received") > MAX_RECEIVED_HEADERS) {
    throw new DeliveryError("mail_loop", `more than ${MAX_RECEIVED_HEADERS} Received headers`);
  }
  const lists = uniqueLists(envelope.recipients);
  const listIds = fields.filter((f) => f.name === "list-id").map((f) => f.value.toLowerCase());
  for (const list of lists) {
    if (listIds.some((value) => value.includes(`<${list.listId}>`))) {
      throw new DeliveryError("list_loop", `message already went through ${list.address}`);
    }
  }

  const hostedDomains = await hostedDomainsAmong(senderClaimDomains(fields, envelope.mailFrom));
  const [verdicts, parsed] = await Promise.all([
    authenticateMessage({
      message,
      headerFields: fields,
      clientIp: session.clientIp,
      helo: session.helo,
      mailFrom: envelope.mailFrom,
      hostname: options.hostname,
      resolver: options.resolver,
      hostedDomains,
    }),
    parseSafely(message),
  ]);
  // The verdict pipeline, before anything is stored (lib/spam/verdict.ts).
  const spamSettings = await getSpamSettings();
  const mailFromDomain = envelope.mailFrom
    ? envelope.mailFrom.slice(envelope.mailFrom.lastIndexOf("@") + 1).toLowerCase()
    : null;
  const messageReasons = combineReasons({
    authentication: authenticationReasons(verdicts.facts, spamSettings),
    senderLists: senderListReasons(verdicts.facts, mailFromDomain, spamSettings),
    dnsLists: await checkDnsLists({
      clientIp: session.clientIp,
      domains: [mailFromDomain, verdicts.facts.fromDomain].filter((d): d is string => Boolean(d)),
      lists: spamSettings.dnsLists,
      resolver: options.resolver,
      timeoutMs: spamSettings.dnsListTimeoutMs,
    }),
  });
  const refused = rejectionOf(messageReasons);
  if (refused) throw await refusal(refused, now);

  // Our verdict is ours alone: one from outside under our name goes.
  const rewritten = withoutForgedAuthResults(head, options.hostname);
  const header = rewritten ? { bytes: rewritten, replaces: headerEnd } : null;

  const rcptCount = envelope.recipients.length;
  const trace: HeaderField[] = [
    returnPathField(envelope.mailFrom),
    { name: "Authentication-Results", value: verdicts.header },
    {
      name: "Received",
      value: formatReceived({
        ...session,
        hostname: options.hostname,
        recipient: rcptCount === 1 ? envelope.recipients[0]!.address : null,
        date: now,
      }),
    },
  ];

  const planned = planSources(envelope, message, trace, header, parsed.message);
  // What the recipient lookup said of each account: the queries a copy for
  // an account with no sender lists or no taught model would make are skipped.
  const targets = new Map(
    envelope.recipients.flatMap((r) => r.accounts).map((a) => [a.accountId, a]),
  );
  const decisions = await decideCopies({
    accountIds: [...new Set(planned.flatMap((s) => s.accountIds))],
    messageReasons,
    // The built-in classifier unless the gateway was given another scorer.
    scorer:
      options.contentScorer ??
      ((input) =>
        targets.get(input.accountId)?.spamModel === false
          ? Promise.resolve(null)
          : scoreSpam(input)),
    source: () => readScoredBytes(message),
    settings: spamSettings,
    envelope: {
      clientIp: session.clientIp,
      helo: session.helo,
      mailFrom: envelope.mailFrom,
      recipients: envelope.recipients.map((r) => r.address),
    },
    senderList: (accountId) => {
      const from = parsed.message.from?.address;
      if (!from || targets.get(accountId)?.senderLists === false) return Promise.resolve(null);
      return senderListVerdict(accountId, from);
    },
    onScorerError: (error) =>
      options.log?.(`delivery ${session.id}: content scorer failed: ${(error as Error).message}`),
  });
  const everyCopyRefused = decisions.length > 0 && decisions.every((d) => d.reject);
  if (everyCopyRefused && !planned.some((s) => s.outbound.length || s.held?.recipients.length))
    throw await refusal(decisions[0]!.reject!, now);
  const sources = withVerdicts(planned, formatHeaderLines(trace).length, decisions, messageReasons);
  for (const source of sources) source.claimedLocalSender = verdicts.localSenderClaim;
  try {
    const copies = await storeDelivery({ sources, receivedAt: now });
    // RFC 3834 auto-replies, started after the commit and not awaited.
    startVacationReplies({ ...envelope, copies, fields, parsed: parsed.message, now });
    return {
      copies,
      queued: sources.reduce((n, s) => n + s.outbound.length, 0),
      parseError: parsed.error,
    };
  } catch (error) {
    if (error instanceof OverQuotaError) throw new DeliveryError("over_quota", error.message);
    throw error;
  }
}

/** The DeliveryError for a verdict's refusal, counted for the admin overview first. */
async function refusal(reason: SpamReason, at: Date): Promise<DeliveryError> {
  // The count is a figure, not the refusal: failing to write it refuses all the same.
  await countRejectedMessage(at).catch(() => {});
  return new DeliveryError("policy_rejected", rejectionText(reason));
}

// A content scorer reads at most this much of a message, as SpamAssassin's
// spamc does (500 KB by default): spam is small, and a 25 MiB attachment
// tells a text classifier nothing its first part does not.
const MAX_SCORED_BYTES = 512 * 1024;

async function readScoredBytes(message: SpooledMessage): Promise<Buffer> {
  if (message.memory) return message.memory;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of createReadStream(message.file!, { end: MAX_SCORED_BYTES - 1 })) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks, size);
}

/**
 * Each source split by the verdicts of its accounts (copies with different
 * verdicts carry different X-Spam-* fields, so different bytes), the
 * fields put below the trace fields (the first `traceBytes` of each
 * prefix: Return-Path stays on top, RFC 5321 §4.4) and Junk copies marked. Outbound and held recipients
 * stay with the first part, under the message-level verdict.
 */
function withVerdicts(
  sources: NewSource[],
  traceBytes: number,
  decisions: CopyDecision[],
  messageReasons: SpamReason[],
): NewSource[] {
  const byAccount = new Map(decisions.map((d) => [d.accountId, d.verdict]));
  const messageVerdict: SpamVerdict = {
    action: messageReasons.some((r) => r.action === "junk") ? "junk" : "inbox",
    score: null,
    reasons: messageReasons,
  };
  const stamped = (source: NewSource, verdict: SpamVerdict): NewSource => {
    const fields = formatHeaderLines(spamHeaderFields(verdict));
    const prefix = source.bytes.prefix;
    const bytes = {
      ...source.bytes,
      prefix: Buffer.concat([prefix.subarray(0, traceBytes), fields, prefix.subarray(traceBytes)]),
    };
    return { ...source, bytes, spamVerdict: verdict, junk: verdict.action === "junk" };
  };
  return sources.flatMap((source) => {
    const groups = new Map<string, { verdict: SpamVerdict; accountIds: string[] }>();
    for (const accountId of source.accountIds) {
      const verdict = byAccount.get(accountId) ?? messageVerdict;
      const key = JSON.stringify(verdict);
      const group = groups.get(key) ?? { verdict, accountIds: [] };
      group.accountIds.push(accountId);
      groups.set(key, group);
    }
    const parts = [...groups.values()];
    if (parts.length === 0) return [stamped(source, messageVerdict)];
    return parts.map((part, i) =>
      stamped(
        i === 0
          ? { ...source, accountIds: part.accountIds }
          : { ...source, accountIds: part.accountIds, outbound: [], held: null },
        part.verdict,
      ),
    );
  });
}

async function parseSafely(
  message: SpooledMessage,
): Promise<{ message: ParsedMessage; error: Error | null }> {
  try {
    const input = message.memory ?? createReadStream(message.file!);
    return { message: await parseMessage(input), error: null };
  } catch (error) {
    // The bytes are what matters and they are kept; a message mailparser
    // cannot read is still delivered, listed with empty fields.
    return { message: emptyParsedMessage(), error: error as Error };
  }
}

function uniqueLists(recipients: AcceptedRecipient[]): ListInfo[] {
  const byAddress = new Map<string, ListInfo>();
  for (const r of recipients) if (r.list) byAddress.set(r.list.address, r.list);
  return [...byAddress.values()];
}

/** A header section to store instead of the first `replaces` bytes received. */
type RewrittenHeader = { bytes: Buffer; replaces: number } | null;

/**
 * Which bytes go to whom. Accounts named directly or through aliases share
 * one source; each list's copies get their own, with List-Id and List-Post
 * (RFC 2919, RFC 2369) added. An account reached several ways gets one copy,
 * preferring the direct one; an external address gets one queue row; a role
 * address no admin can take yet keeps the direct source (held-messages.ts).
 */
export function planSources(
  envelope: InboundEnvelope,
  message: Pick<SpooledMessage, "memory" | "file" | "size">,
  trace: HeaderField[],
  header: RewrittenHeader,
  parsed: ParsedMessage,
): NewSource[] {
  const seenAccounts = new Set<string>();
  const seenExternal = new Set<string>();
  const addAccount = (source: NewSource, accountId: string) => {
    if (seenAccounts.has(accountId)) return;
    seenAccounts.add(accountId);
    source.accountIds.push(accountId);
  };
  const addExternal = (source: NewSource, recipient: string, mailFrom: string) => {
    if (seenExternal.has(recipient)) return;
    seenExternal.add(recipient);
    source.outbound.push({ recipient, mailFrom });
  };
  const held: HeldRecipients = { recipients: [], mailFrom: envelope.mailFrom };
  const direct: NewSource = {
    bytes: bytesOf(message, formatHeaderLines(trace), header),
    parsed,
    accountIds: [],
    outbound: [],
    held,
  };
  for (const r of envelope.recipients) {
    if (r.held && !held.recipients.includes(r.address)) held.recipients.push(r.address);
    if (r.list) continue;
    for (const a of r.accounts) addAccount(direct, a.accountId);
    // A forward leaves with an SRS sender in the forwarding domain, so the
    // original sender's SPF does not fail at the external target.
    for (const e of r.external)
      addExternal(direct, e, forwardingSender(envelope.mailFrom, r.address));
  }
  const sources =
    direct.accountIds.length || direct.outbound.length || held.recipients.length ? [direct] : [];

  for (const list of uniqueLists(envelope.recipients)) {
    const listFields: HeaderField[] = [
      { name: "List-Id", value: `<${list.listId}>` },
      { name: "List-Post", value: `<mailto:${list.address}>` },
    ];
    const source: NewSource = {
      bytes: bytesOf(message, formatHeaderLines([...trace, ...listFields]), header),
      parsed,
      accountIds: [],
      outbound: [],
    };
    for (const r of envelope.recipients) {
      if (r.list?.address !== list.address) continue;
      for (const a of r.accounts) addAccount(source, a.accountId);
      // The list, not the poster, sends the copies on: bounces go to the
      // list address, whose null-sender mail is refused (no bounce loops).
      for (const e of r.external) addExternal(source, e, list.address);
    }
    if (source.accountIds.length || source.outbound.length) sources.push(source);
  }
  return sources;
}

function bytesOf(
  message: Pick<SpooledMessage, "memory" | "file" | "size">,
  trace: Buffer,
  header: RewrittenHeader,
): MessageBytes {
  const skip = header?.replaces ?? 0;
  const prefix = header ? Buffer.concat([trace, header.bytes]) : trace;
  if (message.memory) return { kind: "memory", prefix, body: message.memory.subarray(skip) };
  return { kind: "file", prefix, path: message.file!, skip, bodySize: message.size - skip };
}
