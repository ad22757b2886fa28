// The optional external scanner: rspamd's HTTP protocol (POST /checkv2, the
// message as the body, the SMTP transaction in request headers; answered
// with JSON: action, score, symbols). Its action is combined with the
// built-in classifier's score as one content opinion per copy: the higher
// of the two, with both sets of reasons. rspamd judges the message, not the
// account, so it is asked once per message whatever the recipients. Down,
// slow or answering nonsense, it has no opinion: mail is never refused or
// delayed past the timeout because of it.
import { z } from "zod";
import type { ContentScorer, ScoredEnvelope } from "./verdict.ts";

/** rspamd's answer, the parts we read (rspamd protocol, "checkv2" reply). */
const checkReply = z.object({
  action: z.string(),
  score: z.number(),
  required_score: z.number(),
  symbols: z.record(z.string(), z.object({ name: z.string(), score: z.number() })).default({}),
});

export type RspamdVerdict = {
  action: string;
  score: number;
  requiredScore: number;
  /** Symbols that raised the score, highest first. */
  symbols: string[];
};

/**
 * rspamd's actions as a spam probability: "reject" is certain spam,
 * "add header" and "rewrite subject" are what rspamd files as spam (Junk
 * at the default junk threshold of 0.9); greylist, soft reject and no
 * action are no spam verdict.
 */
export function rspamdProbability(action: string): number | null {
  if (action === "reject") return 1;
  if (action === "add header" || action === "rewrite subject") return 0.95;
  return null;
}

/** Asks rspamd about one message; null when it does not answer in time or answers nonsense. */
export async function checkWithRspamd(
  baseUrl: string,
  source: Buffer,
  envelope: ScoredEnvelope | undefined,
  timeoutMs: number,
): Promise<RspamdVerdict | null> {
  const headers: Record<string, string> = { "content-type": "message/rfc822" };
  if (envelope) {
    headers.IP = envelope.clientIp;
    headers.Helo = envelope.helo;
    headers.From = envelope.mailFrom;
    // One Rcpt header per recipient is the protocol; fetch joins repeats, so the first is sent.
    if (envelope.recipients[0]) headers.Rcpt = envelope.recipients[0];
  }
  try {
    const response = await fetch(new URL("/checkv2", baseUrl), {
      method: "POST",
      headers,
      body: new Uint8Array(source),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    const reply = checkReply.safeParse(await response.json());
    if (!reply.success) return null;
    const symbols = Object.values(reply.data.symbols)
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .map((s) => s.name);
    return {
      action: reply.data.action,
      score: reply.data.score,
      requiredScore: reply.data.required_score,
      symbols,
    };
  } catch {
    return null;
  }
}

/** `base` (the built-in classifier) combined with rspamd at `baseUrl`. */
export function withRspamd(
  base: ContentScorer,
  options: { baseUrl: string; timeoutMs: number },
): ContentScorer {
  // One question per message: copies of one delivery share the same Buffer.
  const asked = new WeakMap<Buffer, Promise<RspamdVerdict | null>>();
  return async (input) => {
    let question = asked.get(input.source);
    if (!question) {
      question = checkWithRspamd(options.baseUrl, input.source, input.envelope, options.timeoutMs);
      asked.set(input.source, question);
    }
    const [ours, theirs] = await Promise.all([base(input), question]);
    const probability = theirs ? rspamdProbability(theirs.action) : null;
    if (probability === null) return ours;
    const why = `rspamd: ${theirs!.action} (score ${theirs!.score.toFixed(1)} of ${theirs!.requiredScore.toFixed(1)}${
      theirs!.symbols.length ? `: ${theirs!.symbols.slice(0, 3).join(", ")}` : ""
    })`;
    return {
      spamProbability: Math.max(probability, ours?.spamProbability ?? 0),
      reasons: [...(ours?.reasons ?? []), why],
    };
  };
}
