// A private Postfix for benchmarks: its own configuration, queue and data
// folders (`postfix -c DIR`), an SMTP listener on one loopback port, and
// virtual(8) delivery of every mail.test recipient into a maildir. It is the
// anchor bench:smtp compares the gateway with: both answer 250 only after
// the message is durable (Postfix fsyncs its queue file, the gateway commits
// to Postgres), on the same machine under the same load.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const POSTFIX = "/usr/sbin/postfix";
// virtual(8) refuses to deliver as root; nobody owns the maildirs.
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export type PostfixInstance = {
  port: number;
  /** The master process (smtpd, cleanup, qmgr and virtual are its children). */
  masterPid: () => Promise<number>;
  /** Messages virtual(8) has delivered into the maildir so far. */
  delivered: () => Promise<number>;
  stop: () => Promise<void>;
};

export function postfixAvailable(): boolean {
  return existsSync(POSTFIX);
}

export async function startPostfix(options: {
  dir: string;
  port: number;
  domain: string;
  maxMessageBytes: number;
  processLimit: number;
}): Promise<PostfixInstance> {
  const { dir, port, domain } = options;
  const etc = path.join(dir, "etc");
  const maildirs = path.join(dir, "mail");
  await mkdir(etc, { recursive: true });
  await mkdir(path.join(dir, "queue"), { recursive: true });
  await mkdir(path.join(dir, "data"), { recursive: true });
  await mkdir(maildirs, { recursive: true });
  await chown(maildirs, MAIL_UID, MAIL_GID);
  const main = {
    compatibility_level: "3.6",
    config_directory: etc,
    queue_directory: path.join(dir, "queue"),
    data_directory: path.join(dir, "data"),
    meta_directory: "/etc/postfix",
    command_directory: "/usr/sbin",
    daemon_directory: "/usr/lib/postfix/sbin",
    shlib_directory: "/usr/lib/postfix",
    mail_owner: "postfix",
    setgid_group: "postdrop",
    myhostname: "postfix.bench.test",
    mydestination: "",
    inet_interfaces: "127.0.0.1",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    maillog_file: path.join(dir, "maillog"),
    maillog_file_prefixes: dir,
    smtpd_peername_lookup: "no",
    smtpd_client_connection_count_limit: "0",
    smtpd_client_connection_rate_limit: "0",
    default_process_limit: String(options.processLimit),
    message_size_limit: String(options.maxMessageBytes),
    // virtual(8) will not start with a mailbox limit below the message limit.
    virtual_mailbox_limit: "0",
    virtual_mailbox_domains: domain,
    virtual_mailbox_base: maildirs,
    // Every recipient of the domain into one maildir (the trailing slash).
    virtual_mailbox_maps: `inline:{ @${domain}=inbox/ }`,
    virtual_uid_maps: `static:${MAIL_UID}`,
    virtual_gid_maps: `static:${MAIL_GID}`,
    smtpd_recipient_restrictions: "permit_mynetworks, reject_unauth_destination",
  };
  await writeFile(
    path.join(etc, "main.cf"),
    Object.entries(main)
      .map(([k, v]) => `${k} = ${v}`)
      .join("\n") + "\n",
  );
  // master.cf (5): the services a receive-and-deliver path needs, unchrooted.
  const services = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    "pickup fifo n - n 60 1 pickup",
    "cleanup unix n - n - 0 cleanup",
    "qmgr fifo n - n 300 1 qmgr",
    "rewrite unix - - n - - trivial-rewrite",
    "bounce unix - - n - 0 bounce",
    "defer unix - - n - 0 bounce",
    "trace unix - - n - 0 bounce",
    "verify unix - - n - 1 verify",
    "flush unix n - n 1000? 0 flush",
    "proxymap unix - - n - - proxymap",
    "smtp unix - - n - - smtp",
    "showq unix n - n - - showq",
    "error unix - - n - - error",
    "retry unix - - n - - error",
    "discard unix - - n - - discard",
    "local unix - n n - - local",
    "virtual unix - n n - - virtual",
    "anvil unix - - n - 1 anvil",
    "scache unix - - n - 1 scache",
    "postlog unix-dgram n - n - 1 postlogd",
  ];
  await writeFile(path.join(etc, "master.cf"), services.join("\n") + "\n");
  await run(POSTFIX, ["-c", etc, "set-permissions"]).catch(() => {});
  await run(POSTFIX, ["-c", etc, "start"]);
  const pidFile = path.join(dir, "queue", "pid", "master.pid");
  return {
    port,
    masterPid: async () => Number((await readFile(pidFile, "utf8")).trim()),
    delivered: async () => {
      const inbox = path.join(maildirs, "inbox");
      const count = async (sub: string) =>
        (await readdir(path.join(inbox, sub)).catch(() => [])).length;
      return (await count("new")) + (await count("cur"));
    },
    stop: async () => {
      await run(POSTFIX, ["-c", etc, "stop"]).catch(() => {});
    },
  };
}
