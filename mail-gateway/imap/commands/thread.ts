// THREAD and UID THREAD (RFC 5256 §3, §4): the messages SEARCH would find,
// grouped into threads by ORDEREDSUBJECT (base subject, then sent date) or
// REFERENCES (the Message-ID, References and In-Reply-To chain, then base
// subject). Base subjects and sent dates are SORT's (sort.ts).
import type { Command } from "../parse.ts";
import type { CommandHandler } from "../session.ts";
import { extractSubject, readSearchKeys, sentDate, type Keys } from "./sort.ts";

type Of<N extends Command["name"]> = Command & { name: N };

/** One message of a thread, or a dummy (a message referred to but not found) when `message` is null. */
type Node = {
  message: ThreadMessage | null;
  parent: Node | null;
  children: Node[];
};

type ThreadMessage = {
  /** What the response names: the uid or the sequence number. */
  number: number;
  seq: number;
  date: number;
  subject: string;
  replyOrForward: boolean;
  messageId: string | null;
  references: string[];
};

/** The msg-ids of a header field (RFC 5322 §3.6.4), in order. */
function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
}

function toMessage(k: Keys, byUid: boolean): ThreadMessage {
  const { base, replyOrForward } = extractSubject(k.header.get("subject") ?? "");
  // RFC 5256 §4 (1)(B): References, else the first msg-id of In-Reply-To.
  let references = messageIds(k.header.get("references"));
  if (references.length === 0) references = messageIds(k.header.get("in-reply-to")).slice(0, 1);
  return {
    number: byUid ? k.row.uid : k.seq,
    seq: k.seq,
    date: sentDate(k),
    subject: base,
    replyOrForward,
    messageId: messageIds(k.header.get("message-id"))[0] ?? null,
    references,
  };
}

/** Whether `ancestor` is `node` or above it. */
function isAncestor(ancestor: Node, node: Node | null): boolean {
  for (let n = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

function unlink(node: Node): void {
  if (!node.parent) return;
  const siblings = node.parent.children;
  siblings.splice(siblings.indexOf(node), 1);
  node.parent = null;
}

function link(parent: Node, child: Node): void {
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
}

/** The date a node sorts by: its own, or a dummy's first child's (§4 step 6). */
function firstMessage(node: Node): ThreadMessage | null {
  return node.message ?? (node.children[0] ? firstMessage(node.children[0]) : null);
}

function compareNodes(a: Node, b: Node): number {
  const x = firstMessage(a);
  const y = firstMessage(b);
  if (!x || !y) return 0;
  return x.date - y.date || x.seq - y.seq;
}

/** §4 step 6: siblings by sent date, grandchildren before children. */
function sortTree(nodes: Node[]): void {
  for (const node of nodes) sortTree(node.children);
  nodes.sort(compareNodes);
}

/** RFC 5256 §4 REFERENCES, steps 1 to 6; returns the root set, sorted. */
export function threadByReferences(messages: ThreadMessage[]): Node[] {
  // (1) Containers by Message-ID; duplicates and messages without one get their own.
  const byId = new Map<string, Node>();
  const containers: Node[] = [];
  const container = (id: string): Node => {
    let node = byId.get(id);
    if (!node) {
      node = { message: null, parent: null, children: [] };
      byId.set(id, node);
      containers.push(node);
    }
    return node;
  };
  for (const message of messages) {
    // (1)(A): the first message with an id keeps it, later duplicates are unique.
    let node: Node;
    const existing = message.messageId === null ? undefined : byId.get(message.messageId);
    if (message.messageId !== null && (!existing || existing.message === null)) {
      node = container(message.messageId);
    } else {
      node = { message: null, parent: null, children: [] };
      containers.push(node);
    }
    node.message = message;
    // (1)(B): link the References chain; existing links stay, no loops.
    let previous: Node | null = null;
    for (const id of message.references) {
      const ref = container(id);
      if (previous && previous !== ref && !ref.parent && !isAncestor(ref, previous))
        link(previous, ref);
      previous = ref;
    }
    // (1)(C): the last reference is the parent; an earlier guess is dropped,
    // and no link is made that would close a loop.
    unlink(node);
    if (previous && previous !== node && !isAncestor(node, previous)) link(previous, node);
  }
  // (2) The root set; (3) the id table is no longer needed.
  let roots = containers.filter((n) => n.parent === null);
  // (4) Prune dummies.
  roots = pruneDummies(roots, true);
  // (5) Gather root threads with the same base subject.
  roots = gatherBySubject(roots);
  // (6) Sort.
  sortTree(roots);
  return roots;
}

function pruneDummies(nodes: Node[], atRoot: boolean): Node[] {
  const out: Node[] = [];
  for (const node of nodes) {
    node.children = pruneDummies(node.children, false);
    for (const child of node.children) child.parent = node;
    if (node.message) out.push(node);
    // (4)(A) a dummy without children goes; (4)(B) one with children is
    // replaced by them, but at the root only when it has just one.
    else if (node.children.length === 0) continue;
    else if (!atRoot || node.children.length === 1) {
      for (const child of node.children) {
        child.parent = atRoot ? null : node.parent;
        out.push(child);
      }
    } else out.push(node);
  }
  return out;
}

function threadSubject(node: Node): string {
  // (5)(B)(i): the message's, or a dummy's first child's.
  const message = node.message ?? [...node.children].sort(compareNodes)[0]?.message ?? null;
  return message?.subject ?? "";
}

function gatherBySubject(roots: Node[]): Node[] {
  const table = new Map<string, Node>();
  // (5)(B): one root per subject; a dummy, or a non-reply, is preferred.
  for (const root of roots) {
    const subject = threadSubject(root);
    if (subject === "") continue;
    const held = table.get(subject);
    if (
      !held ||
      (held.message !== null &&
        (root.message === null || (held.message.replyOrForward && !root.message.replyOrForward)))
    )
      table.set(subject, root);
  }
  // (5)(C): merge the others into it.
  const out: Node[] = [];
  for (const root of roots) {
    // Already merged into a dummy made for a root before it.
    if (root.parent) continue;
    const subject = threadSubject(root);
    const held = subject === "" ? undefined : table.get(subject);
    if (!held || held === root) {
      out.push(root);
      continue;
    }
    if (held.message === null && root.message === null) {
      for (const child of [...root.children]) link(held, child);
    } else if (held.message === null) {
      link(held, root);
    } else if (root.message?.replyOrForward && !held.message.replyOrForward) {
      link(held, root);
    } else {
      // A new dummy holding both, in the held one's place.
      const dummy: Node = { message: null, parent: null, children: [] };
      const at = out.indexOf(held);
      link(dummy, held);
      link(dummy, root);
      if (at !== -1) out[at] = dummy;
      else out.push(dummy);
      table.set(subject, dummy);
    }
  }
  return out.filter((n) => n.parent === null);
}

/** RFC 5256 §4 ORDEREDSUBJECT: by base subject, then sent date; the first of each is the parent. */
export function threadByOrderedSubject(messages: ThreadMessage[]): Node[] {
  const sorted = [...messages].sort(
    (a, b) =>
      (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0) ||
      a.date - b.date ||
      a.seq - b.seq,
  );
  const roots: Node[] = [];
  let current: Node | null = null;
  for (const message of sorted) {
    const node: Node = { message, parent: null, children: [] };
    if (current && current.message!.subject === message.subject) link(current, node);
    else {
      roots.push(node);
      current = node;
    }
  }
  roots.sort(compareNodes);
  return roots;
}

/** RFC 5256 §4 thread-list: "(1 2 (3)(4))", a dummy as "((3)(4))". */
export function formatThreads(roots: Node[]): string {
  const members = (node: Node): string => {
    const children =
      node.children.length === 1
        ? ` ${members(node.children[0]!)}`
        : node.children.map((c) => `(${members(c)})`).join("");
    if (!node.message) return children.trimStart();
    return `${node.message.number}${node.children.length > 1 ? " " : ""}${children}`;
  };
  return roots.map((root) => `(${members(root)})`).join("");
}

const thread: CommandHandler = async (session, command) => {
  const c = command as Of<"THREAD">;
  const keyed = await readSearchKeys(session, c.key, true);
  const messages = keyed.map((k) => toMessage(k, c.uid));
  const roots =
    c.algorithm === "REFERENCES" ? threadByReferences(messages) : threadByOrderedSubject(messages);
  const list = formatThreads(roots);
  session.write(`* THREAD${list ? ` ${list}` : ""}\r\n`);
};

export const threadCommands: Record<string, CommandHandler> = { THREAD: thread };
