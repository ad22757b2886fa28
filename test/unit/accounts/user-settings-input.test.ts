// Validation of what users type into their settings: header-bound text stays
// one line, dates are real and in order, the interval has bounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { profileSchema, vacationSchema } from "../../../lib/accounts/user-settings.ts";

const vacation = {
  enabled: true,
  subject: "Away",
  body: "Back soon.",
  startDate: "2026-12-01",
  endDate: "2026-12-24",
  timeZone: "Europe/Paris",
  replyIntervalDays: "4",
};

const firstIssue = (result: {
  success: boolean;
  error?: { issues: { message: string; path: PropertyKey[] }[] };
}) =>
  result.success
    ? null
    : { field: result.error!.issues[0]!.path[0], message: result.error!.issues[0]!.message };

test("a display name with a line break is refused (header injection)", () => {
  assert.deepEqual(
    firstIssue(
      profileSchema.safeParse({ displayName: "Eve\r\nBcc: x@example.org", signature: "" }),
    ),
    {
      field: "displayName",
      message: "The name must be one line of plain text.",
    },
  );
  const ok = profileSchema.parse({
    displayName: "  Eve  ",
    signature: "Eve\r\nExample Ltd\r\n\r\n",
  });
  assert.deepEqual(ok, { displayName: "Eve", signature: "Eve\nExample Ltd" });
  assert.equal(
    firstIssue(profileSchema.safeParse({ displayName: "Eve", signature: "a\u0000b" }))?.field,
    "signature",
  );
});

test("vacation input: dates, subject, interval and time zone", () => {
  const parsed = vacationSchema.parse(vacation);
  assert.equal(parsed.replyIntervalDays, 4);
  assert.equal(parsed.startDate, "2026-12-01");
  assert.deepEqual(
    vacationSchema.parse({ ...vacation, startDate: "", endDate: "" }).startDate,
    null,
  );
  assert.equal(vacationSchema.parse({ ...vacation, timeZone: "Mars/Olympus" }).timeZone, "UTC");
  assert.equal(
    firstIssue(vacationSchema.safeParse({ ...vacation, endDate: "2026-11-30" }))?.field,
    "endDate",
  );
  assert.equal(
    firstIssue(vacationSchema.safeParse({ ...vacation, startDate: "2026-13-45" }))?.field,
    "startDate",
  );
  assert.equal(
    firstIssue(vacationSchema.safeParse({ ...vacation, subject: "a\nBcc: b" }))?.field,
    "subject",
  );
  assert.equal(
    firstIssue(vacationSchema.safeParse({ ...vacation, replyIntervalDays: "0" }))?.field,
    "replyIntervalDays",
  );
  assert.equal(
    firstIssue(vacationSchema.safeParse({ ...vacation, replyIntervalDays: "31" }))?.field,
    "replyIntervalDays",
  );
  assert.equal(firstIssue(vacationSchema.safeParse({ ...vacation, body: " " }))?.field, "body");
  // Off with no message is fine.
  assert.equal(vacationSchema.safeParse({ ...vacation, enabled: false, body: "" }).success, true);
});
