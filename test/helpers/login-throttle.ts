// One scenario for every protocol's login throttle, driven over real sockets
// from different 127.0.0.x source addresses (Linux routes all of 127/8 on
// loopback, and the gateway sees each as another client): a stranger's
// burst of wrong guesses is answered with growing delays, the owner from
// another address signs in at once, and a stranger who goes on is refused
// with the protocol's "try later" reply, even with the right password.
import assert from "node:assert/strict";
import { TEST_PASSWORD } from "./accounts.ts";

/** One login over the protocol from `source`; resolves with the server's reply to it. */
export type LoginProbe = (source: string, password: string) => Promise<string>;

/**
 * `busy`: refused unchecked because the pair's failures and the guesses
 * being checked at once already reach the lock (nothing is locked by it).
 */
export type ThrottleReplies = { wrong: RegExp; ok: RegExp; locked: RegExp; busy: RegExp };

export async function assertStrangerThrottled(
  probe: LoginProbe,
  replies: ThrottleReplies,
  sources: { stranger: string; owner: string },
): Promise<void> {
  const { LOGIN_PAIR_LOCK_FAILURES } = await import("../../lib/config/limits.ts");
  const { pairDelayMs } = await import("../../lib/auth/login-throttle.ts");
  const burst = 6;
  const results = await Promise.all(
    Array.from({ length: burst }, async (_, i) => {
      const start = performance.now();
      const reply = await probe(sources.stranger, `wrong guess ${i}`);
      return { reply, ms: performance.now() - start };
    }),
  );
  for (const { reply } of results) assert.match(reply, replies.wrong);
  // The owner, elsewhere, is not held back by the stranger's failures.
  assert.match(await probe(sources.owner, TEST_PASSWORD), replies.ok);
  // Each guess waited for the one before it: 0, 2, 4, 8, 15, 15 s.
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  times.forEach((ms, i) => {
    const least = pairDelayMs(i) - 100;
    assert.ok(ms >= least, `guess ${i + 1} was answered after ${Math.round(ms)} ms, not ${least}`);
  });

  // The stranger goes on until the pair locks; then even the right password
  // is refused. Guesses beyond what the lock allows are refused unchecked,
  // as busy while the allowed ones are still being checked.
  const more = await Promise.all(
    Array.from({ length: LOGIN_PAIR_LOCK_FAILURES - burst + 3 }, (_, i) =>
      probe(sources.stranger, `another guess ${i}`),
    ),
  );
  // Failures decay a little while the test runs, so the lock may come one guess late.
  const wrong = more.filter((r) => replies.wrong.test(r)).length;
  const allowed = LOGIN_PAIR_LOCK_FAILURES - burst;
  assert.ok(wrong === allowed || wrong === allowed + 1, more.join("\n"));
  assert.ok(
    more.every((r) => replies.wrong.test(r) || replies.locked.test(r) || replies.busy.test(r)),
    more.join("\n"),
  );
  assert.match(await probe(sources.stranger, TEST_PASSWORD), replies.locked);
  assert.match(await probe(sources.owner, TEST_PASSWORD), replies.ok);
}
