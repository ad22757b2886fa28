// Asserting that a lib call refuses with a given UserError.
import assert from "node:assert/strict";
import { UserError } from "../../lib/errors.ts";

/** Waits for `promise` to reject with a UserError of `code` (and the field or message given). */
export async function assertUserError(
  promise: Promise<unknown>,
  code: string,
  expect: { field?: string; message?: RegExp } = {},
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected UserError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (expect.field) assert.equal(error.field, expect.field);
    if (expect.message) assert.match(error.message, expect.message);
    return true;
  });
}
