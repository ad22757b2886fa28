// A real DNS server for tests: Debian's dnsmasq (dnsmasq-base) on a free
// port of 127.0.0.1, answering the TXT and A records a test gives it and
// NXDOMAIN for any other name under the zones it is authoritative for, with
// no upstream (nothing leaves the machine). The gateway's system resolver
// (lib/dns createSystemResolver) is pointed at it, so SPF, DKIM, DMARC and
// DNS lists are asked over real UDP as in production.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { createSystemResolver, type DnsResolver } from "../../lib/dns/resolver.ts";
import { getFreePort } from "./net.ts";

export type DnsRecords = {
  /** name -> TXT record texts (each one record; long texts are split into 255-byte strings). */
  txt?: Record<string, string[]>;
  /** name -> IPv4 addresses. */
  a?: Record<string, string[]>;
};

export type TestDnsServer = {
  port: number;
  /** The production resolver, asking only this server, without a cache. */
  resolver: DnsResolver;
  stop(): Promise<void>;
};

// Names under these are answered from the records or NXDOMAIN, never forwarded.
const LOCAL_ZONES = ["test", "example", "invalid", "org", "com", "net", "arpa"];

/** dnsmasq's quoting: each TXT string in double quotes, `"` and `\` escaped. */
function txtStrings(text: string): string {
  const chunks = text.match(/[^]{1,255}/g) ?? [""];
  return chunks.map((c) => `"${c.replace(/["\\]/g, "\\$&")}"`).join(",");
}

/** Starts dnsmasq with `records`; it is stopped when the test file ends. */
export async function startDnsServer(records: DnsRecords): Promise<TestDnsServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "test-dns-"));
  const port = await getFreePort();
  const lines = [
    `port=${port}`,
    "listen-address=127.0.0.1",
    "bind-interfaces",
    "no-resolv",
    "no-hosts",
    "no-poll",
    "cache-size=0",
    `user=${userInfo().username}`,
    ...LOCAL_ZONES.map((z) => `local=/${z}/`),
  ];
  for (const [name, texts] of Object.entries(records.txt ?? {}))
    for (const text of texts) lines.push(`txt-record=${name},${txtStrings(text)}`);
  for (const [name, ips] of Object.entries(records.a ?? {}))
    lines.push(`host-record=${name},${ips.join(",")}`);
  const conf = path.join(dir, "dnsmasq.conf");
  await writeFile(conf, lines.join("\n") + "\n");
  const child: ChildProcess = spawn(
    "/usr/sbin/dnsmasq",
    ["--keep-in-foreground", `--conf-file=${conf}`, "--pid-file", "--log-facility=-"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const resolver = createSystemResolver({ servers: [`127.0.0.1:${port}`], cacheTtlMs: 0 });
  // Ready once it answers: a name it has no record for comes back NXDOMAIN.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
    const code = await resolver.resolve("ready.invalid", "A").then(
      () => "ok",
      (error: { code?: string }) => error.code,
    );
    if (code === "ENOTFOUND") break;
    if (Date.now() > deadline) throw new Error(`dnsmasq did not answer: ${code} ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  after(stop);
  return { port, resolver, stop };
}
