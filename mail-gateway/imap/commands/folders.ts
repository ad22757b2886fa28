// Folder commands (RFC 3501 §6.3): SELECT, EXAMINE, CREATE, DELETE, RENAME,
// SUBSCRIBE, UNSUBSCRIBE, LIST (RFC 5258 LIST-EXTENDED, RFC 6154
// SPECIAL-USE, RFC 5819 LIST-STATUS), LSUB, STATUS, APPEND (RFC 4315
// APPENDUID). Folder rules (names, special folders, what DELETE does with
// the messages) are lib/store's, the same as the webmail's.
import { appendMessage } from "../../../lib/store/append-message.ts";
import { createFolder, deleteFolder, renameFolder } from "../../../lib/store/folders.ts";
import {
  findMailboxByName,
  listMailboxStates,
  readMailboxView,
  type MailboxState,
} from "../../../lib/store/mailbox-snapshot.ts";
import { countRecentMessages } from "../../../lib/store/recent-messages.ts";
import { listSubscriptions, setFolderSubscribed } from "../../../lib/store/subscribe-folder.ts";
import { encodeMailboxName } from "../mutf7.ts";
import type { Command, StatusItem } from "../parse.ts";
import { CommandFailure, type CommandHandler, type ImapSession } from "../session.ts";
import { atom, type ImapValue } from "../write.ts";
import { parseFlags } from "./messages.ts";

type Of<N extends Command["name"]> = Command & { name: N };

const SPECIAL_USE_ATTRIBUTE: Record<string, string> = {
  DRAFTS: "\\Drafts",
  SENT: "\\Sent",
  ARCHIVE: "\\Archive",
  JUNK: "\\Junk",
  TRASH: "\\Trash",
};

/** The name a folder has on the wire (before modified UTF-7). */
function imapName(mailbox: MailboxState): string {
  return mailbox.specialUse === "INBOX" ? "INBOX" : mailbox.name;
}

/** The name as a wire string: modified UTF-7 in latin1 form (pure ASCII). */
function wireName(name: string): string {
  return name === "INBOX" ? name : encodeMailboxName(name);
}

async function mailboxOrThrow(session: ImapSession, name: string): Promise<MailboxState> {
  const mailbox = await findMailboxByName(session.account!.id, name);
  if (!mailbox) throw new CommandFailure("NO", "NONEXISTENT", `No folder named ${name}`);
  return mailbox;
}

const select: CommandHandler = async (session, command) => {
  const c = command as Of<"SELECT" | "EXAMINE">;
  // RFC 3501 §6.3.1: a failed SELECT leaves no folder selected.
  session.deselect();
  // The folder found by name in the same statement that reads it.
  const view = await readMailboxView(session.account!.id, { name: c.mailbox }, null);
  if (!view?.mailbox) throw new CommandFailure("NO", "NONEXISTENT", `No folder named ${c.mailbox}`);
  if (c.condstore) session.condstore = true;
  const state = view.mailbox;
  // Read whole when nothing is known yet.
  const uids = view.uids!;
  const readOnly = c.name === "EXAMINE";
  const recentFrom = await session.recentFrom(state, readOnly);
  session.select(state, readOnly, uids, recentFrom);
  session.announceFlags();
  session.untagged(`${uids.length} EXISTS`);
  session.untagged(`${session.selected!.recent.size} RECENT`);
  const unseen = view.firstUnseenUid;
  if (unseen !== null) {
    const seq = session.seqOf(unseen);
    if (seq > 0) session.untagged(`OK [UNSEEN ${seq}] First unseen`);
  }
  session.untagged(`OK [UIDVALIDITY ${state.uidValidity}] UIDs valid`);
  session.untagged(`OK [UIDNEXT ${state.uidNext}] Predicted next UID`);
  session.untagged(`OK [HIGHESTMODSEQ ${state.highestModseq}] Highest`);
  return `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${c.name} completed`;
};

const create: CommandHandler = async (session, command) => {
  const c = command as Of<"CREATE">;
  const name = c.mailbox.replace(/\/+$/, "");
  if (c.use.length > 0) {
    // RFC 6154 §3: each special use is one folder of the account, made with
    // it; a second one is refused with USEATTR and nothing is created.
    const all = Object.values(SPECIAL_USE_ATTRIBUTE).map((a) => a.toLowerCase());
    const unknown = c.use.find((u) => !all.includes(u.toLowerCase()));
    if (unknown) throw new CommandFailure("NO", "USEATTR", `${unknown} is not a special use`);
    const mailboxes = await listMailboxStates(session.account!.id);
    const holder = mailboxes.find(
      (m) =>
        m.specialUse &&
        SPECIAL_USE_ATTRIBUTE[m.specialUse]?.toLowerCase() === c.use[0]!.toLowerCase(),
    );
    throw new CommandFailure(
      "NO",
      "USEATTR",
      `${SPECIAL_USE_ATTRIBUTE[holder?.specialUse ?? ""] ?? c.use[0]} is ${holder ? imapName(holder) : "taken"} already`,
    );
  }
  if (name.toUpperCase() === "INBOX")
    throw new CommandFailure("NO", "ALREADYEXISTS", "INBOX always exists");
  if (await findMailboxByName(session.account!.id, name))
    throw new CommandFailure("NO", "ALREADYEXISTS", `${name} exists already`);
  // RFC 3501 §6.3.3: missing superior levels are created too.
  const levels = name.split("/");
  for (let i = 1; i < levels.length; i++) {
    const parent = levels.slice(0, i).join("/");
    if (parent.toUpperCase() === "INBOX") continue;
    if (!(await findMailboxByName(session.account!.id, parent)))
      await createFolder(session.account!.id, parent, { subscribed: false });
  }
  await createFolder(session.account!.id, name, { subscribed: false });
};

const remove: CommandHandler = async (session, command) => {
  const c = command as Of<"DELETE">;
  const mailbox = await mailboxOrThrow(session, c.mailbox);
  if (mailbox.specialUse !== null)
    throw new CommandFailure(
      "NO",
      "CANNOT",
      `${imapName(mailbox)} is a standard folder and cannot be deleted`,
    );
  if (session.selected?.id === mailbox.id) session.deselect();
  // The webmail's rule: the folder's messages go to Trash, not away.
  await deleteFolder(session.account!.id, mailbox.id);
};

const rename: CommandHandler = async (session, command) => {
  const c = command as Of<"RENAME">;
  const mailbox = await mailboxOrThrow(session, c.mailbox);
  if (mailbox.specialUse !== null)
    throw new CommandFailure(
      "NO",
      "CANNOT",
      `${imapName(mailbox)} is a standard folder and cannot be renamed`,
    );
  if (await findMailboxByName(session.account!.id, c.newName))
    throw new CommandFailure("NO", "ALREADYEXISTS", `${c.newName} exists already`);
  await renameFolder(session.account!.id, mailbox.id, c.newName.replace(/\/+$/, ""));
};

const subscribe: CommandHandler = async (session, command) => {
  const c = command as Of<"SUBSCRIBE" | "UNSUBSCRIBE">;
  const accountId = session.account!.id;
  const mailbox = await findMailboxByName(accountId, c.mailbox);
  if (c.name === "SUBSCRIBE") {
    if (!mailbox) throw new CommandFailure("NO", "NONEXISTENT", `No folder named ${c.mailbox}`);
    await setFolderSubscribed(accountId, mailbox.name, true);
    return;
  }
  // RFC 9051 §6.3.10: the name of a deleted folder can be unsubscribed too.
  const name = mailbox?.name ?? c.mailbox;
  const subscribed = await listSubscriptions(accountId);
  if (!subscribed.some((s) => s.toLowerCase() === name.toLowerCase()))
    throw new CommandFailure("NO", "NONEXISTENT", `${c.mailbox} is not subscribed`);
  await setFolderSubscribed(accountId, name, false);
};

/** RFC 3501 §6.3.8 pattern: "*" matches anything, "%" anything but the delimiter. */
function patternRegex(pattern: string): RegExp {
  const body = [...pattern]
    .map((ch) =>
      ch === "*" ? ".*" : ch === "%" ? "[^/]*" : ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${body}$`, "s");
}

function matches(name: string, regex: RegExp): boolean {
  // INBOX matches in any case.
  return regex.test(name) || (name === "INBOX" && new RegExp(regex.source, "is").test(name));
}

/** Every name and the names above it ("a/b/c" gives "a", "a/b" and itself). */
function withParents(names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    const levels = name.split("/");
    for (let i = 1; i <= levels.length; i++) out.add(levels.slice(0, i).join("/"));
  }
  return out;
}

const list: CommandHandler = async (session, command) => {
  const c = command as Of<"LIST" | "LSUB">;
  if (c.name === "LIST" && c.patterns.length === 1 && c.patterns[0] === "") {
    // RFC 3501 §6.3.8: the delimiter and root.
    session.untagged('LIST (\\Noselect) "/" ""');
    return;
  }
  const accountId = session.account!.id;
  const lsub = c.name === "LSUB";
  const bySubscription = lsub || c.selectSubscribed;
  const [mailboxes, subscriptions] = await Promise.all([
    listMailboxStates(accountId),
    bySubscription || c.returnSubscribed ? listSubscriptions(accountId) : [],
  ]);
  const byName = new Map(mailboxes.map((m) => [imapName(m), m]));
  const byLowerName = new Map(mailboxes.map((m) => [m.name.toLowerCase(), imapName(m)]));
  // A subscription names its folder when there is one, else the name alone
  // (a deleted folder's, RFC 5258 §3.4 \NonExistent).
  const subscribed = new Set(subscriptions.map((s) => byLowerName.get(s.toLowerCase()) ?? s));
  // Parents that are not folders themselves show as \Noselect (RFC 3501 §6.3.8).
  const folderNames = withParents(byName.keys());
  const names = bySubscription ? withParents([...folderNames, ...subscribed]) : folderNames;
  const regexes = c.patterns.map((p) => patternRegex(c.reference + p));
  const matched = (name: string) => regexes.some((r) => matches(name, r));
  const sorted = [...names].sort((a, b) =>
    a === "INBOX" ? -1 : b === "INBOX" ? 1 : a.localeCompare(b),
  );
  /**
   * RFC 5258 §3.5: a subscribed name below `name` that the patterns do not
   * match themselves (one they match is listed on its own instead).
   */
  const subscribedBelow = (name: string) =>
    [...subscribed].some((n) => n.startsWith(`${name}/`) && !matched(n));
  for (const name of sorted) {
    if (!matched(name)) continue;
    const mailbox = byName.get(name);
    let childInfo = false;
    if (bySubscription && !subscribed.has(name)) {
      // RFC 3501 §6.3.9: a parent of a subscribed folder that "%" stops at
      // is listed by LSUB as \Noselect; RFC 5258 §3.5 RECURSIVEMATCH gives
      // it CHILDINFO instead.
      if (!subscribedBelow(name) || (!lsub && !c.recursiveMatch)) continue;
      if (lsub) {
        session.send("* LSUB", [[atom("\\Noselect")], "/", wireName(name)]);
        continue;
      }
      childInfo = true;
    }
    if (lsub) {
      session.send("* LSUB", [mailbox ? [] : [atom("\\Noselect")], "/", wireName(name)]);
      continue;
    }
    const attributes: string[] = [];
    // RFC 5258 §3.4: \NonExistent (which implies \Noselect) for a name with
    // no folder and none below it, such as a deleted folder still subscribed.
    if (!mailbox) attributes.push(folderNames.has(name) ? "\\Noselect" : "\\NonExistent");
    const hasChildren = [...folderNames].some((n) => n.startsWith(`${name}/`));
    attributes.push(hasChildren ? "\\HasChildren" : "\\HasNoChildren");
    if (mailbox?.specialUse && SPECIAL_USE_ATTRIBUTE[mailbox.specialUse])
      attributes.push(SPECIAL_USE_ATTRIBUTE[mailbox.specialUse]!);
    if (subscribed.has(name) && (c.returnSubscribed || c.selectSubscribed))
      attributes.push("\\Subscribed");
    const values: ImapValue[] = [attributes.map(atom), "/", wireName(name)];
    if (childInfo) values.push([atom("CHILDINFO"), ["SUBSCRIBED"]]);
    session.send(`* ${c.name}`, values);
    if (c.returnStatus && mailbox) await sendStatus(session, mailbox, c.returnStatus);
  }
};

async function sendStatus(
  session: ImapSession,
  mailbox: MailboxState,
  items: StatusItem[],
): Promise<void> {
  const recent = items.includes("RECENT")
    ? await countRecentMessages(session.account!.id, mailbox.id, mailbox.recentUid)
    : 0;
  const values: ImapValue[] = [];
  for (const item of items) {
    values.push(atom(item));
    if (item === "MESSAGES") values.push(mailbox.messageCount);
    else if (item === "RECENT") values.push(recent);
    else if (item === "UIDNEXT") values.push(mailbox.uidNext);
    else if (item === "UIDVALIDITY") values.push(mailbox.uidValidity);
    else if (item === "UNSEEN") values.push(mailbox.unreadCount);
    else if (item === "HIGHESTMODSEQ") values.push(mailbox.highestModseq);
    else values.push(mailbox.totalBytes);
  }
  session.send("* STATUS", [wireName(imapName(mailbox)), values]);
}

const status: CommandHandler = async (session, command) => {
  const c = command as Of<"STATUS">;
  const mailbox = await mailboxOrThrow(session, c.mailbox);
  await sendStatus(session, mailbox, c.items);
};

const append: CommandHandler = async (session, command) => {
  const c = command as Of<"APPEND">;
  const mailbox = await findMailboxByName(session.account!.id, c.mailbox);
  // RFC 3501 §6.3.11: TRYCREATE tells the client it may CREATE and retry.
  if (!mailbox) throw new CommandFailure("NO", "TRYCREATE", `No folder named ${c.mailbox}`);
  if (c.message.length === 0) throw new CommandFailure("NO", "CANNOT", "The message is empty");
  const flags = parseFlags(c.flags);
  const { uid } = await appendMessage(
    session.account!.id,
    mailbox.id,
    Buffer.from(c.message),
    { ...flags.system, keywords: flags.keywords },
    c.date ?? new Date(),
  );
  return `[APPENDUID ${mailbox.uidValidity} ${uid}] APPEND completed`;
};

export const folderCommands: Record<string, CommandHandler> = {
  SELECT: select,
  EXAMINE: select,
  CREATE: create,
  DELETE: remove,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: subscribe,
  LIST: list,
  LSUB: list,
  STATUS: status,
  APPEND: append,
};
