// Strict TypeScript, ESLint and Prettier over the whole repository, as part
// of `npm test`, so a change that breaks any of them cannot land.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

async function check(command: string, args: string[]) {
  try {
    await run(bin(command), args, { cwd: root, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    assert.fail(
      `${command} ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`.slice(0, 20_000),
    );
  }
}

test("tsc --noEmit reports no errors", { timeout: 300_000 }, () =>
  check("tsc", ["--noEmit", "-p", "."]),
);
test("eslint reports no problems", { timeout: 300_000 }, () =>
  check("eslint", [".", "--max-warnings", "0"]),
);
test("prettier finds every file formatted", { timeout: 120_000 }, () =>
  check("prettier", ["--check", "."]),
);
