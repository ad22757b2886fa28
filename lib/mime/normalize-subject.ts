// Subjects reduced to a thread key: the fallback when a message carries no
// References/In-Reply-To that match a stored message. Simplified from the
// "base subject" of RFC 5256 §2.1 (IMAP THREAD=REFERENCES).

// Reply/forward markers in the languages our users' correspondents write in:
// Re, Fwd/Fw (English), AW/WG (German), SV/VS (Nordic), Antw (Dutch), RIF/R
// (Italian), TR (French Outlook), ODP (Polish). An optional "[2]" counter
// (Re[2]:) is what some clients add. RFC 5256 §2.1 steps (2)-(5).
const REPLY_PREFIX = /^(?:re|fwd?|aw|wg|sv|vs|antw|rif|tr|odp)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*/i;
// A mailing-list tag or a ticket marker in brackets ("[team] ", "[PATCH 2/3] ").
const BLOB_PREFIX = /^\[[^\][]*\]\s*/;
// RFC 5256 §2.1 step (2): a trailing "(fwd)".
const FWD_TRAILER = /\s*\(fwd\)\s*$/i;

/** Whether the subject starts with a reply or forward marker (after list tags). */
export function hasReplyPrefix(subject: string): boolean {
  let rest = subject.trim();
  while (BLOB_PREFIX.test(rest)) rest = rest.replace(BLOB_PREFIX, "");
  return REPLY_PREFIX.test(rest);
}

/**
 * The thread key of a subject: without reply/forward markers and bracketed
 * tags, whitespace collapsed, lower-cased. "Re: [team] Fwd: Plan (fwd)" and
 * "plan" give the same key. Empty when nothing is left.
 */
export function normalizeSubject(subject: string): string {
  let rest = subject.replace(/\s+/g, " ").trim();
  for (;;) {
    const before = rest;
    rest = rest.replace(FWD_TRAILER, "");
    rest = rest.replace(REPLY_PREFIX, "").replace(BLOB_PREFIX, "");
    if (rest === before) break;
  }
  return rest.toLowerCase();
}
