// The verdict pipeline of the MX: what happens to an inbound message before
// the 250, decided in one place for every copy. Steps, in order:
//
// 1. Authentication (SPF, DKIM, DMARC, ARC facts from
//    lib/delivery/authenticate-message.ts): DMARC p=reject failing refuses
//    the message, p=quarantine files it as Junk (RFC 7489 §6.3, §7.3); SPF
//    -all failing with no DKIM aligned with From is Junk or refused (admin
//    setting); a claim of a hosted domain from outside without its SPF or
//    DKIM is refused by default. A trusted forwarder's passing ARC seal
//    (RFC 8617 §7.2) stands in for what its forwarding broke.
// 2. Reputation (lib/spam/dns-lists.ts): DNS block and allow lists.
// 3. Content, per recipient account: a ContentScorer's spam probability
//    against the junk and reject thresholds.
//
// Message-level reasons apply to every copy; a "reject" among them refuses
// the whole message (550 5.7.1 with its words). The content step is per
// account (each has its own model), so copies of one message may differ;
// only when every account's copy would be refused is the message refused,
// since one DATA reply speaks for all recipients (RFC 5321 §4.1.1.4).
//
// Reasons are kept as data (Message.spamVerdict) so the reader sees them in
// words, and written into the stored copy's X-Spam-Status header.
import type { AuthenticationFacts } from "../delivery/authenticate-message.ts";
import type { SpamSettings } from "./settings.ts";

export type SpamAction = "inbox" | "junk" | "reject";

/** One finding: a stable code, what it asks for, and what it means in words. */
export type SpamReason = { code: string; action: SpamAction; text: string };

/** What was decided for one stored copy (Message.spamVerdict). */
export type SpamVerdict = {
  action: "inbox" | "junk";
  /** The content scorer's spam probability (0..1), null when it gave no opinion. */
  score: number | null;
  reasons: SpamReason[];
};

/**
 * The content step's contract: the spam probability of one account's copy,
 * with reasons in words, or null for no opinion (the default scorer).
 */
export type ContentScorer = (input: {
  accountId: string;
  source: Buffer;
  /** The SMTP transaction, for scanners that weigh it (rspamd); absent outside the MX. */
  envelope?: ScoredEnvelope;
}) => Promise<{ spamProbability: number; reasons: string[] } | null>;

export type ScoredEnvelope = {
  clientIp: string;
  helo: string;
  mailFrom: string;
  recipients: string[];
};

/** No content filter: no opinion on anything. */
export const noContentScorer: ContentScorer = async () => null;

const withParents = (domain: string): string[] => {
  const labels = domain.split(".");
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
};

/** Relaxed alignment (RFC 7489 §3.1): the same organizational domain, by suffix. */
function aligned(a: string, b: string): boolean {
  return withParents(a).includes(b) || withParents(b).includes(a);
}

/** The policy that applies, pct (RFC 7489 §6.6.4) honoured by taking the next weaker one. */
function dmarcPolicy(dmarc: AuthenticationFacts["dmarc"]): "reject" | "quarantine" | "none" {
  const policy =
    dmarc.policy === "reject" ? "reject" : dmarc.policy === "quarantine" ? "quarantine" : "none";
  // Not every message is sampled when pct < 100; without sampling at random
  // (which would make a verdict unrepeatable) the weaker policy holds for all.
  if (dmarc.pct !== null && dmarc.pct < 100) return policy === "reject" ? "quarantine" : "none";
  return policy;
}

/** Step 1: what the authentication results ask for. */
export function authenticationReasons(
  facts: AuthenticationFacts,
  settings: Pick<SpamSettings, "spfFailAction" | "hostedSpoofAction" | "trustedForwarders">,
): SpamReason[] {
  const sealer = facts.arc?.result === "pass" ? facts.arc.sealer : null;
  const trusted =
    sealer !== null && settings.trustedForwarders.some((f) => f === sealer || aligned(f, sealer));
  if (trusted) {
    return [
      {
        code: "arc_trusted",
        action: "inbox",
        text: `Forwarded by ${sealer}, a trusted forwarder (ARC)`,
      },
    ];
  }
  const reasons: SpamReason[] = [];
  const claim = facts.hostedClaim;
  if (claim && !claim.backed) {
    const domain = claim.address.slice(claim.address.lastIndexOf("@") + 1);
    reasons.push({
      code: "hosted_spoof",
      action: settings.hostedSpoofAction,
      text: `Claims to be from ${claim.address} but came from outside without ${domain}'s signature`,
    });
  }
  if (facts.dmarc.result === "fail") {
    const domain = facts.dmarc.domain ?? facts.fromDomain ?? "the sender's domain";
    const policy = dmarcPolicy(facts.dmarc);
    if (policy === "reject")
      reasons.push({
        code: "dmarc_reject",
        action: "reject",
        text: `Failed DMARC for ${domain}, whose policy is to reject such mail`,
      });
    else if (policy === "quarantine")
      reasons.push({
        code: "dmarc_quarantine",
        action: "junk",
        text: `Failed DMARC for ${domain}`,
      });
  }
  if (facts.spf.result === "fail") {
    const from = facts.fromDomain;
    const dkimAligned = from !== null && facts.dkimPassed.some((d) => aligned(d, from));
    if (!dkimAligned)
      reasons.push({
        code: "spf_fail",
        action: settings.spfFailAction,
        text: `Failed SPF for ${facts.spf.domain ?? "the sender's domain"}: not sent by a server it allows`,
      });
  }
  return reasons;
}

/**
 * The admin's sender domain lists: a blocked MAIL FROM or From domain is
 * refused; an allowed one that SPF or DKIM authenticates goes to the Inbox
 * whatever reputation or content say (an "inbox" reason).
 */
export function senderListReasons(
  facts: AuthenticationFacts,
  mailFromDomain: string | null,
  settings: Pick<SpamSettings, "allowedSenderDomains" | "blockedSenderDomains">,
): SpamReason[] {
  const domains = [mailFromDomain, facts.fromDomain].filter((d): d is string => Boolean(d));
  const listed = (list: string[]) =>
    domains.find((d) => list.some((entry) => d === entry || d.endsWith(`.${entry}`))) ?? null;
  const blocked = listed(settings.blockedSenderDomains);
  if (blocked)
    return [
      { code: "blocked_sender", action: "reject", text: `Mail from ${blocked} is blocked here` },
    ];
  const allowed = listed(settings.allowedSenderDomains);
  const authenticated = [
    ...facts.dkimPassed,
    ...(facts.spf.result === "pass" && facts.spf.domain ? [facts.spf.domain] : []),
  ];
  if (allowed && authenticated.some((d) => aligned(d, allowed)))
    return [{ code: "allowed_sender", action: "inbox", text: `${allowed} is on the allowlist` }];
  return [];
}

/**
 * Message-level reasons in the order they weigh: an allowlisting (a
 * trusted forwarder, an allowed sender, a DNS allowlist) drops the
 * reputation findings it outweighs, never a blocked sender.
 */
export function combineReasons(parts: {
  authentication: SpamReason[];
  senderLists: SpamReason[];
  dnsLists: SpamReason[];
}): SpamReason[] {
  const allowed = [...parts.senderLists, ...parts.dnsLists].some((r) => r.action === "inbox");
  const reputation = allowed ? parts.dnsLists.filter((r) => r.action === "inbox") : parts.dnsLists;
  // An authenticated allowed sender outweighs its own DMARC quarantine-level findings too.
  const authentication = parts.senderLists.some((r) => r.code === "allowed_sender")
    ? parts.authentication.filter((r) => r.action === "reject")
    : parts.authentication;
  return [...authentication, ...parts.senderLists, ...reputation];
}

/** The first reason that refuses, or null. */
export function rejectionOf(reasons: SpamReason[]): SpamReason | null {
  return reasons.find((r) => r.action === "reject") ?? null;
}

export type CopyDecision = { accountId: string; verdict: SpamVerdict; reject: SpamReason | null };

/**
 * Steps 3 and after: each account's verdict from the message-level reasons
 * and its content score. A scorer that throws is no opinion (logged by the
 * caller through `onScorerError`), never a lost message.
 */
export async function decideCopies(input: {
  accountIds: string[];
  messageReasons: SpamReason[];
  scorer: ContentScorer;
  /** Read once, only when the scorer is asked. */
  source: () => Promise<Buffer>;
  settings: Pick<SpamSettings, "contentJunkThreshold" | "contentRejectThreshold">;
  /** The recipient's own lists (lib/spam/sender-lists.ts) for this message's sender. */
  senderList?: (accountId: string) => Promise<"block" | "safe" | null>;
  envelope?: ScoredEnvelope;
  onScorerError?: (error: unknown) => void;
}): Promise<CopyDecision[]> {
  const { settings } = input;
  // An allowlisting (a trusted forwarder, a DNS allowlist) outweighs the
  // content filter and reputation, not a failed authentication.
  const allowed = input.messageReasons.some((r) => r.action === "inbox");
  let source: Promise<Buffer> | null = null;
  return Promise.all(
    input.accountIds.map(async (accountId): Promise<CopyDecision> => {
      const reasons = [...input.messageReasons];
      let score: number | null = null;
      // Outlook.com's lists: a blocked sender's mail is Junk; a safe sender's
      // is never Junk for its content (a failed authentication still counts:
      // anyone can write a safe sender's address).
      const listed = (await input.senderList?.(accountId)) ?? null;
      if (listed === "block")
        reasons.push({ code: "blocked-sender", action: "junk", text: "You blocked this sender" });
      if (input.scorer !== noContentScorer && listed !== "safe") {
        try {
          source ??= input.source();
          const opinion = await input.scorer({
            accountId,
            source: await source,
            envelope: input.envelope,
          });
          if (opinion && Number.isFinite(opinion.spamProbability)) {
            score = Math.min(1, Math.max(0, opinion.spamProbability));
            const why = opinion.reasons.filter((r) => r.trim() !== "").slice(0, 5);
            const percent = `${Math.round(score * 100)}%`;
            const reject =
              settings.contentRejectThreshold !== null && score >= settings.contentRejectThreshold;
            if (!allowed && (reject || score >= settings.contentJunkThreshold))
              reasons.push({
                code: "content",
                action: reject ? "reject" : "junk",
                text: why.length
                  ? `${why.join("; ")} (spam score ${percent})`
                  : `Looks like spam (spam score ${percent})`,
              });
          }
        } catch (error) {
          input.onScorerError?.(error);
        }
      }
      const reject = rejectionOf(reasons);
      const junk = reasons.some((r) => r.action === "junk" || r.action === "reject");
      return { accountId, verdict: { action: junk ? "junk" : "inbox", score, reasons }, reject };
    }),
  );
}

// Header values come partly from the message (domains, a scorer's words):
// printable ASCII only, so they cannot end or fold the field.
const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, "?");

/**
 * The X-Spam-Status field (SpamAssassin's layout: Yes/No, then details)
 * and X-Spam-Reasons with the reasons in words; X-Spam-Score when a score
 * was given. Written on top of the stored copy.
 */
export function spamHeaderFields(verdict: SpamVerdict): { name: string; value: string }[] {
  const tests = verdict.reasons.map((r) => r.code.toUpperCase()).join(",") || "none";
  const fields = [
    {
      name: "X-Spam-Status",
      value: `${verdict.action === "junk" ? "Yes" : "No"}, action=${verdict.action}${
        verdict.score === null ? "" : ` score=${verdict.score.toFixed(3)}`
      } tests=${tests}`,
    },
  ];
  if (verdict.score !== null)
    fields.push({ name: "X-Spam-Score", value: verdict.score.toFixed(3) });
  if (verdict.reasons.length)
    fields.push({
      name: "X-Spam-Reasons",
      value: verdict.reasons.map((r) => printable(r.text)).join(";\r\n\t"),
    });
  return fields;
}

/** The text of a 550 5.7.1 refusal: the reason in printable ASCII (RFC 5321 §4.2). */
export function rejectionText(reason: SpamReason): string {
  return printable(reason.text).slice(0, 400);
}
