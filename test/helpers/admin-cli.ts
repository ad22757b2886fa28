// Runs the admin CLI (scripts/admin.ts, what `npm run admin` runs) against a
// test file's database; resolves with its output and exit code.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const root = path.resolve(import.meta.dirname, "../..");

export async function adminCli(
  databaseUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/admin.ts", ...args],
      {
        cwd: root,
        env: { ...process.env, NODE_TEST_CONTEXT: "", DATABASE_URL: databaseUrl, ...env },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
