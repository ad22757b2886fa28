import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { hitRateLimit, peekRateLimit } = await import("../../../lib/rate-limit.ts");

const WINDOW = 15 * 60;
const edge = new Date(Date.UTC(2026, 10, 22, 21, 45, 0));
const at = (offsetSeconds: number) => new Date(edge.getTime() + offsetSeconds * 1000);

test("failures just before a window edge still count just after it", async () => {
  for (let i = 0; i < 4; i++) await hitRateLimit("t:edge", WINDOW, at(-2));
  assert.equal(await hitRateLimit("t:edge", WINDOW, at(1)), 5);
  assert.equal(await peekRateLimit("t:edge", WINDOW, at(2)), 5);
});

test("the previous window fades out over one window length", async () => {
  for (let i = 0; i < 10; i++) await hitRateLimit("t:fade", WINDOW, at(-60));
  // Half-way through the next window, half of the previous count remains.
  assert.equal(await peekRateLimit("t:fade", WINDOW, at(WINDOW / 2)), 5);
  // Two windows later nothing remains.
  assert.equal(await peekRateLimit("t:fade", WINDOW, at(WINDOW + 1)), 0);
});
