// Dovecot's IMAP conformance tester, imaptest (MIT; https://github.com/dovecot/imaptest
// at 9d78895, beside the repository in ../shared/tools/imaptest/ with the patch
// that builds it against Debian's Dovecot 2.3 headers, package dovecot-dev;
// kept there, not in this repository, as the MIME corpus is). Built once into a cache
// folder outside the clone, named by the sources' hash, so later runs (and
// other clones on the machine) reuse it; a lock folder keeps parallel test
// files from building it twice.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, readdir } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const FIXTURES = path.resolve(import.meta.dirname, "../../../shared/tools/imaptest");
const TARBALL = path.join(FIXTURES, "imaptest-9d78895.tar.gz");
const PORT_SCRIPT = path.join(FIXTURES, "port-imaptest-to-dovecot23.sh");
/** Dovecot 2.3's libraries, which imaptest links against. */
const LIBRARY_PATH = "/usr/lib/dovecot";

export type Imaptest = { binary: string; testsDir: string };

function cacheRoot(): string {
  return process.env.IMAPTEST_CACHE ?? path.join(homedir(), ".cache", "mailhost-imaptest");
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // Another build older than ten minutes died with its lock.
      if (waited > 600_000) await rm(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The imaptest binary and its scripted tests, built on first use. */
export async function ensureImaptest(): Promise<Imaptest> {
  const hash = createHash("sha256")
    .update(await readFile(TARBALL))
    .update(await readFile(PORT_SCRIPT))
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(cacheRoot(), hash);
  const source = path.join(dir, "imaptest");
  const result = {
    binary: path.join(source, "src", "imaptest"),
    testsDir: path.join(source, "src", "tests"),
  };
  if (existsSync(result.binary)) return result;
  return withLock(dir, async () => {
    if (existsSync(result.binary)) return result;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await run("tar", ["xzf", TARBALL, "-C", dir]);
    await run("bash", [PORT_SCRIPT, source]);
    const sh = (command: string) =>
      run("bash", ["-c", command], { cwd: source, maxBuffer: 64 * 1024 * 1024 });
    await sh("./autogen.sh");
    await sh(`./configure --with-dovecot=${LIBRARY_PATH}`);
    await sh("make -j2");
    return result;
  });
}

/** The scripted tests (src/tests/*, not their .mbox data nor the "broken" folder). */
export async function imaptestScripts(imaptest: Imaptest): Promise<string[]> {
  const entries = await readdir(imaptest.testsDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.endsWith(".mbox"))
    .map((e) => e.name)
    .sort();
}

export type ScriptResult = { result: "pass" | "fail" | "skip"; log: string };

/** Runs one scripted test against a server (plaintext LOGIN). */
export async function runImaptestScript(
  imaptest: Imaptest,
  script: string,
  server: { port: number; user: string; password: string },
): Promise<ScriptResult> {
  const args = [
    "host=127.0.0.1",
    `port=${server.port}`,
    `user=${server.user}`,
    `pass=${server.password}`,
    `test=${path.join(imaptest.testsDir, script)}`,
  ];
  let log: string;
  let ok: boolean;
  try {
    const out = await run(imaptest.binary, args, {
      env: { ...process.env, LD_LIBRARY_PATH: LIBRARY_PATH },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    log = out.stdout + out.stderr;
    ok = true;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    log = `${e.stdout ?? ""}${e.stderr ?? ""}\n${e.message}`;
    ok = false;
  }
  const summary = /^(\d+) test groups: (\d+) failed, (\d+) skipped/m.exec(log);
  if (summary && summary[1] === "1" && summary[3] === "1" && summary[2] === "0")
    return { result: "skip", log };
  if (ok && summary && summary[1] === "1" && summary[2] === "0") return { result: "pass", log };
  return { result: "fail", log };
}
