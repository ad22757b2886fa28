// A private rspamd (Debian's package) for one test file: Debian's stock
// configuration with our own local.d (normal and controller workers on free
// loopback ports, proxy and fuzzy off, no DNS server so lookups fail fast,
// logs in its folder), run in the foreground as its own user.
import { spawn, type ChildProcess } from "node:child_process";
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { getFreePort } from "./net.ts";

export type Rspamd = { url: string; stop: () => Promise<void> };

const RSPAMD = "/usr/bin/rspamd";

export async function startRspamd(): Promise<Rspamd> {
  const dir = await mkdtemp(path.join(tmpdir(), "rspamd-"));
  const local = path.join(dir, "local", "local.d");
  for (const sub of ["db", "run", "log"]) await mkdir(path.join(dir, sub), { recursive: true });
  await mkdir(local, { recursive: true });
  const [normal, controller] = [await getFreePort(), await getFreePort()];
  const files: Record<string, string> = {
    "worker-normal.inc": `bind_socket = "127.0.0.1:${normal}";\ncount = 1;\n`,
    "worker-controller.inc": `bind_socket = "127.0.0.1:${controller}";\ncount = 1;\n`,
    "worker-proxy.inc": "enabled = false;\n",
    "worker-fuzzy.inc": "enabled = false;\n",
    "logging.inc": `type = "file";\nfilename = "${path.join(dir, "log", "rspamd.log")}";\nlevel = "notice";\n`,
    // Port 9 on loopback answers nothing: every lookup fails within its timeout.
    "options.inc": 'dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 0; }\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(local, name), text);
  const { uid, gid } = await userIds("_rspamd");
  await chownTree(dir, uid, gid);
  const child: ChildProcess = spawn(
    RSPAMD,
    [
      "-f",
      "-u",
      "_rspamd",
      "-g",
      "_rspamd",
      "-c",
      "/etc/rspamd/rspamd.conf",
      "--var",
      `LOCAL_CONFDIR=${path.join(dir, "local")}`,
      "--var",
      `DBDIR=${path.join(dir, "db")}`,
      "--var",
      `RUNDIR=${path.join(dir, "run")}`,
      "--var",
      `LOGDIR=${path.join(dir, "log")}`,
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${normal}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  // rspamd compiles its rules at start: seconds on a quiet machine, more on a loaded one.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pong = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.text())
      .catch(() => "");
    if (pong.trim() === "pong") break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`rspamd did not start (see ${path.join(dir, "log", "rspamd.log")})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile("/etc/passwd", "utf8"))
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}: is Debian's rspamd installed?`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid, gid);
    else await chown(full, uid, gid);
  }
}
