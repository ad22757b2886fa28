// The built-in content classifier: what it owns and what it does not.
//
// Owns: turning a message into features (tokenize.ts), the statistics
// (combine.ts: Robinson's f(w), Fisher's chi-square, a per-account model on
// top of a service-wide one) and their counts in Postgres (token-store.ts).
// Learning from users' marks is lib/spam/training.ts; what to do with a
// score (Junk, reject, headers) is the MX's verdict pipeline, which calls
// `scoreSpam` for each recipient's copy.
import { classify, DEFAULT_PARAMS, type Classification } from "./combine.ts";
import { loadModels } from "./token-store.ts";

export { modelReadySql } from "./token-store.ts";
import { messageTokens } from "./tokenize.ts";

export type SpamScore = { spamProbability: number; reasons: string[] };

export type SpamScorer = (input: {
  accountId: string;
  source: Buffer;
}) => Promise<SpamScore | null>;

/**
 * Where the classifier's own verdicts start, measured on the SpamAssassin
 * public corpus by `npm run bench:spam`: at or above `spam` a message is
 * spam; between `ham` and `spam` the classifier is unsure.
 */
export const CLASSIFIER_CUTOFFS = { spam: 0.9, ham: 0.5 } as const;

/** The reasons, in words a user reads in the message view. */
export function reasonsFor(c: Classification): string[] {
  const spammy = c.spamProbability >= CLASSIFIER_CUTOFFS.ham;
  // The user's own marks are the reason when they moved the score the way it went.
  const mine =
    c.userModelUsed &&
    (c.serviceProbability === null ||
      (spammy
        ? c.spamProbability >= c.serviceProbability
        : c.spamProbability <= c.serviceProbability));
  if (spammy)
    return [mine ? "Like messages you marked as junk" : "Like messages people here marked as junk"];
  return [
    mine ? "Like messages you marked as not junk" : "Like messages people here marked as not junk",
  ];
}

/**
 * Scores one copy of a message for the account it is for: the spam
 * probability in [0, 1] and why. Null while neither the account's nor the
 * service's model has been taught enough (DEFAULT_PARAMS.minTrainedEach of
 * each kind) to judge.
 */
export const scoreSpam: SpamScorer = async ({ accountId, source }) => {
  const features = messageTokens(source);
  const { user, service } = await loadModels(accountId);
  const c = classify(features, user, service, DEFAULT_PARAMS);
  if (!c) return null;
  return { spamProbability: c.spamProbability, reasons: reasonsFor(c) };
};
