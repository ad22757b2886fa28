// Retry schedule of the outbound queue, like Postfix's and ZoneMTA's: the
// first retry after `base`, each next one twice as late, never more than
// `max` apart (defaults 5 min doubling to 4 h), given up after `lifetime`
// (default 5 days, RFC 5321 §4.5.4.1).

export type RetryPolicy = { baseSeconds: number; maxSeconds: number };

/** Seconds to wait after the given number of failed attempts (1 = after the first failure). */
export function retryDelaySeconds(failedAttempts: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2^exponent overflows nothing before the cap is reached, but keep it finite.
  const delay = policy.baseSeconds * 2 ** Math.min(exponent, 30);
  return Math.min(delay, policy.maxSeconds);
}
