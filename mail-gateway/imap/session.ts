// One IMAP connection: the state machine of RFC 3501 §3 (not authenticated,
// authenticated, selected, logout), commands run one at a time in arrival
// order, the session's view of the selected folder (its uid list gives the
// sequence numbers), and untagged updates for changes made anywhere else
// (webmail, SMTP delivery, other sessions), heard through lib/live's LISTEN.
import type net from "node:net";
import tls from "node:tls";
import { isUserError } from "../../lib/errors.ts";
import type { MessageFlags } from "../../lib/store/deliver.ts";
import { hearingChanges, subscribeToChanges } from "../../lib/live/index.ts";
import { APP_PASSWORD_REVOKED, watchAppPassword } from "../../lib/auth/app-passwords.ts";
import { readMailboxView, type MailboxState } from "../../lib/store/mailbox-snapshot.ts";
import type { ChangedMailbox } from "../../lib/store/set-message-flags.ts";
import { claimRecentMessages } from "../../lib/store/recent-messages.ts";
import type { TlsCredentials } from "../smtp/tls.ts";
import { authCommands } from "./commands/auth.ts";
import { folderCommands } from "./commands/folders.ts";
import { fetchSetsSeen, messageCommands } from "./commands/messages.ts";
import { sortCommands } from "./commands/sort.ts";
import { threadCommands } from "./commands/thread.ts";
import { AUTOLOGOUT_MS, MAX_BAD_COMMANDS, PRELOGIN_TIMEOUT_MS } from "./limits.ts";
import { parseCommand, ParseError, type Command, type CommandName } from "./parse.ts";
import { CommandReader, type ReaderEvent } from "./reader.ts";
import { atom, encodeLine, type ImapValue } from "./write.ts";

export type ImapServerOptions = {
  hostname: string;
  tls: TlsCredentials;
  /** Development only: LOGIN and AUTHENTICATE before TLS. */
  allowInsecureAuth: boolean;
  maxMessageBytes: number;
  log: (line: string) => void;
};

export type SessionState = "not-authenticated" | "authenticated" | "selected" | "logout";

export type SelectedMailbox = {
  id: string;
  name: string;
  uidValidity: number;
  readOnly: boolean;
  /** Uids the client knows of, ascending: index + 1 is the sequence number. */
  uids: number[];
  highestModseq: bigint;
  /** The folder's uidNext when `uids` was last read whole (readMailboxView). */
  uidNext: number;
  /** Uids that are \Recent in this session (lib/store/recent-messages.ts). */
  recent: Set<number>;
  /** Keywords announced in an untagged FLAGS since SELECT (RFC 3501 §7.2.6). */
  keywords: Set<string>;
};

/** A NO or BAD for the tagged reply, with an RFC 5530 response code. */
export class CommandFailure extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

export type CommandHandler = (session: ImapSession, command: Command) => Promise<string | void>;

/** Where each command may run (RFC 3501 §6). */
const ANY = ["not-authenticated", "authenticated", "selected"] as const;
const AUTHENTICATED = ["authenticated", "selected"] as const;
const SELECTED = ["selected"] as const;

const STATES: Record<CommandName, readonly SessionState[]> = {
  CAPABILITY: ANY,
  NOOP: ANY,
  LOGOUT: ANY,
  ID: ANY,
  STARTTLS: ["not-authenticated"],
  LOGIN: ["not-authenticated"],
  AUTHENTICATE: ["not-authenticated"],
  SELECT: AUTHENTICATED,
  EXAMINE: AUTHENTICATED,
  CREATE: AUTHENTICATED,
  DELETE: AUTHENTICATED,
  RENAME: AUTHENTICATED,
  SUBSCRIBE: AUTHENTICATED,
  UNSUBSCRIBE: AUTHENTICATED,
  LIST: AUTHENTICATED,
  LSUB: AUTHENTICATED,
  STATUS: AUTHENTICATED,
  APPEND: AUTHENTICATED,
  NAMESPACE: AUTHENTICATED,
  ENABLE: AUTHENTICATED,
  IDLE: AUTHENTICATED,
  CHECK: SELECTED,
  CLOSE: SELECTED,
  UNSELECT: SELECTED,
  EXPUNGE: SELECTED,
  "UID EXPUNGE": SELECTED,
  SEARCH: SELECTED,
  SORT: SELECTED,
  THREAD: SELECTED,
  FETCH: SELECTED,
  STORE: SELECTED,
  COPY: SELECTED,
  MOVE: SELECTED,
};

const HANDLERS: Partial<Record<CommandName, CommandHandler>> = {
  ...authCommands,
  ...folderCommands,
  ...messageCommands,
  ...sortCommands,
  ...threadCommands,
};

export class ImapSession {
  state: SessionState = "not-authenticated";
  account: { id: string; address: string } | null = null;
  selected: SelectedMailbox | null = null;
  condstore = false;
  readonly clientIp: string;
  private readonly reader: CommandReader;
  private readonly queue: ReaderEvent[] = [];
  private running = false;
  private badCommands = 0;
  private closed = false;
  private idleTag: string | null = null;
  /** A line the running command waits for (AUTHENTICATE's response, IDLE's DONE). */
  private lineWaiter: ((line: Buffer) => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Stops watching for the revocation of the app password this session signed in with. */
  private stopWatch: (() => void) | null = null;
  private syncing: Promise<void> | null = null;
  private resyncWanted = false;
  /**
   * A change to the selected folder was heard (lib/live) since the last
   * sync began. Until one is, a command that only reads needs no sync.
   */
  private changeHeard = true;
  /** Changes heard to any folder of the account, counted. */
  private changesHeard = 0;
  /** The running command's own change left the session up to date (ownChange): no sync after it. */
  private upToDate = false;

  constructor(
    public socket: net.Socket | tls.TLSSocket,
    readonly options: ImapServerOptions,
    private readonly onClose: (session: ImapSession) => void,
  ) {
    this.clientIp = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
    this.reader = new CommandReader(options.maxMessageBytes);
    this.attach(socket);
    socket.setTimeout(PRELOGIN_TIMEOUT_MS);
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** PLAIN passwords are taken over TLS, or without it only when configured for development. */
  get mayLogin(): boolean {
    return this.secure || this.options.allowInsecureAuth;
  }

  capabilities(): string {
    const caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE"];
    if (this.state === "not-authenticated") {
      if (!this.secure) caps.push("STARTTLS");
      caps.push(this.mayLogin ? "AUTH=PLAIN" : "LOGINDISABLED");
    } else {
      caps.push(
        "UIDPLUS",
        "MOVE",
        "UNSELECT",
        "CHILDREN",
        "SPECIAL-USE",
        "CREATE-SPECIAL-USE",
        "LIST-EXTENDED",
        "LIST-STATUS",
        "CONDSTORE",
        "ESEARCH",
        "SORT",
        "SORT=DISPLAY",
        "THREAD=ORDEREDSUBJECT",
        "THREAD=REFERENCES",
        `APPENDLIMIT=${this.options.maxMessageBytes}`,
      );
    }
    return caps.join(" ");
  }

  greet(): void {
    this.write(
      `* OK [CAPABILITY ${this.capabilities()}] ${this.options.hostname} IMAP4rev1 ready\r\n`,
    );
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    socket.on("timeout", () => {
      this.write("* BYE Autologout; idle for too long\r\n");
      this.close();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    for (const event of this.reader.push(chunk)) {
      if (event.kind === "continue") this.write("+ Ready for literal data\r\n");
      else if (event.kind === "command" && this.lineWaiter && this.queue.length === 0) {
        const waiter = this.lineWaiter;
        this.lineWaiter = null;
        waiter(event.data);
      } else this.queue.push(event);
    }
    // Pipelined clients may send much: stop reading while many commands wait.
    if (this.queue.length > 50) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const event = this.queue.shift()!;
        if (this.queue.length < 10 && this.socket.isPaused()) this.socket.resume();
        if (event.kind === "refused") {
          // A message over the size limit is a refusal (NO), not a syntax error.
          this.bad(event.tag, event.reason, event.code, event.code === "TOOBIG" ? "NO" : "BAD");
          if (event.fatal) {
            this.write("* BYE Literal too large\r\n");
            this.close();
          }
          continue;
        }
        if (event.kind !== "command") continue;
        try {
          await this.run(event.data);
        } catch (error) {
          // A bug must cost this connection, never the process.
          this.options.log(`imap: session failed: ${(error as Error).stack ?? error}`);
          this.write("* BYE Internal error\r\n");
          this.close();
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Resolves with the next line the client sends (continuations). */
  nextLine(): Promise<Buffer> {
    // What was written so far (a continuation request, "+ idling") must reach the client first.
    while (this.socket.writableCorked > 0) this.socket.uncork();
    const head = this.queue[0];
    if (head) {
      this.queue.shift();
      return Promise.resolve(head.kind === "command" ? head.data : Buffer.alloc(0));
    }
    if (this.closed) return Promise.resolve(Buffer.from("*"));
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
    });
  }

  private bad(tag: string | null, reason: string, code: string | null, status = "BAD"): void {
    this.badCommands++;
    const text = `${tag ?? "*"} ${status} ${code ? `[${code}] ` : ""}${reason}\r\n`;
    this.write(text);
    if (this.badCommands >= MAX_BAD_COMMANDS) {
      this.write("* BYE Too many invalid commands\r\n");
      this.close();
    }
  }

  private async run(data: Buffer): Promise<void> {
    let command: Command;
    try {
      command = parseCommand(data);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      const tag = /^[\x21-\x7e]+/.exec(data.toString("latin1", 0, 64))?.[0] ?? null;
      const safeTag = tag && !/[(){%*"\\+]/.test(tag) ? tag : null;
      const match = /^\[([A-Z-]+)(?: [^\]]*)?\] (.*)$/.exec(error.message);
      if (match)
        this.bad(
          safeTag,
          match[2]!,
          error.message.slice(1, error.message.indexOf("]")),
          error.status,
        );
      else this.bad(safeTag, error.message, null, error.status);
      return;
    }
    if (!STATES[command.name].includes(this.state)) {
      const where =
        this.state === "not-authenticated"
          ? "Log in first"
          : this.state === "selected" || this.state === "authenticated"
            ? command.name === "LOGIN" ||
              command.name === "AUTHENTICATE" ||
              command.name === "STARTTLS"
              ? "Already logged in"
              : "Select a folder first"
            : "Logging out";
      this.bad(command.tag, `${command.name}: ${where}`, null);
      return;
    }
    const handler = HANDLERS[command.name];
    const heardBefore = this.changesHeard;
    this.upToDate = false;
    // A command's responses leave in one write (SELECT alone has nine
    // untagged lines), not a segment each. STARTTLS swaps the socket.
    const socket = this.socket;
    if (command.name !== "STARTTLS") socket.cork();
    try {
      await this.runCommand(command, handler, heardBefore);
    } finally {
      while (socket.writableCorked > 0) socket.uncork();
    }
  }

  private async runCommand(
    command: Command,
    handler: CommandHandler | undefined,
    heardBefore: number,
  ): Promise<void> {
    try {
      let text: string | void;
      if (handler) text = await handler(this, command);
      else text = await this.builtin(command);
      if (this.closed || command.name === "STARTTLS") return;
      // SELECT and EXAMINE have just read the folder whole.
      const justRead = command.name === "SELECT" || command.name === "EXAMINE";
      // Its read began after this command did: a change heard since may be
      // newer than what it read, one heard before is in it.
      if (justRead && this.selected) this.changeHeard = this.changesHeard !== heardBefore;
      if (this.state === "selected" && command.name !== "IDLE" && !justRead) {
        // RFC 3501 §7.4.1: no EXPUNGE while FETCH, STORE or SEARCH (by number) run.
        const numbered =
          (command.name === "FETCH" ||
            command.name === "STORE" ||
            command.name === "SEARCH" ||
            command.name === "SORT" ||
            command.name === "THREAD") &&
          !command.uid;
        // A command that changed nothing, with no change heard since the last
        // sync, would read an unchanged folder: skip that round trip. Changes
        // committed meanwhile are announced as soon as their notification
        // arrives (onChange), as when they commit just after a sync.
        if (!this.upToDate && (this.changeHeard || !hearingChanges() || !readsOnly(command)))
          await this.sync(!numbered);
      }
      this.write(`${command.tag} OK ${text ?? `${command.name} completed`}\r\n`);
      if (this.state === "logout") this.close();
    } catch (error) {
      if (this.closed) return;
      if (error instanceof CommandFailure) {
        if (error.status === "BAD") this.badCommands++;
        this.write(
          `${command.tag} ${error.status} ${error.code ? `[${error.code}] ` : ""}${error.message}\r\n`,
        );
        return;
      }
      const failure = failureFor(error);
      if (!failure.code || failure.code === "SERVERBUG" || failure.code === "UNAVAILABLE")
        this.options.log(`imap: ${command.name} failed: ${(error as Error).message}`);
      this.write(`${command.tag} NO [${failure.code}] ${failure.message}\r\n`);
    }
  }

  private async builtin(command: Command): Promise<string | void> {
    switch (command.name) {
      case "CAPABILITY":
        this.untagged(`CAPABILITY ${this.capabilities()}`);
        return;
      case "NOOP":
      case "CHECK":
        return;
      case "LOGOUT":
        this.untagged("BYE Logging out");
        this.state = "logout";
        return;
      case "ID":
        this.send("* ID", [["name", "mailhost", "vendor", "mailhost"]]);
        return;
      case "NAMESPACE":
        this.untagged('NAMESPACE (("" "/")) NIL NIL');
        return;
      case "ENABLE": {
        const enabled: string[] = [];
        if (command.capabilities.includes("CONDSTORE")) {
          this.condstore = true;
          enabled.push("CONDSTORE");
        }
        this.untagged(`ENABLED${enabled.map((c) => ` ${c}`).join("")}`);
        return;
      }
      case "STARTTLS":
        return this.startTls(command.tag);
      case "IDLE":
        return this.idle(command.tag);
      default:
        throw new CommandFailure("BAD", null, `${command.name} is not implemented`);
    }
  }

  private async startTls(tag: string): Promise<string | void> {
    if (this.secure) throw new CommandFailure("BAD", null, "TLS is already active");
    // RFC 3501 §6.2.1: anything the client sent after STARTTLS in plain text is dropped.
    this.queue.length = 0;
    this.reader.reset();
    this.write(`${tag} OK Begin TLS negotiation now\r\n`);
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("timeout");
    const secure = new tls.TLSSocket(plain, {
      isServer: true,
      secureContext: tls.createSecureContext({
        key: this.options.tls.key,
        cert: this.options.tls.cert,
      }),
    });
    this.socket = secure;
    this.attach(secure);
    secure.setTimeout(PRELOGIN_TIMEOUT_MS);
  }

  private async idle(tag: string): Promise<string | void> {
    this.idleTag = tag;
    this.write("+ idling\r\n");
    if (this.state === "selected") await this.sync(true);
    const line = await this.nextLine();
    this.idleTag = null;
    if (line.toString("latin1").trim().toUpperCase() !== "DONE")
      throw new CommandFailure("BAD", null, "Expected DONE to end IDLE");
    return "IDLE terminated";
  }

  /** Called by LISTEN fan-out: changes in the account's folders. */
  private onChange(mailboxId: string | null): void {
    this.changesHeard++;
    if (!this.selected || (mailboxId !== null && mailboxId !== this.selected.id)) return;
    this.changeHeard = true;
    if (this.idleTag) void this.sync(true).catch(() => {});
    // RFC 3501 §5.3: with no command in progress, untagged responses other
    // than EXPUNGE may be sent at any time; clients that poll see new mail sooner.
    else if (!this.running && this.queue.length === 0) void this.sync(false).catch(() => {});
  }

  /** After LOGIN/AUTHENTICATE succeeded; `appPasswordId` when an app password was used. */
  async loggedIn(
    account: { id: string; address: string },
    appPasswordId: string | null = null,
  ): Promise<void> {
    this.account = account;
    this.state = "authenticated";
    this.socket.setTimeout(AUTOLOGOUT_MS);
    const subscription = subscribeToChanges(account.id, (change) => {
      if (change.kind !== APP_PASSWORD_REVOKED) this.onChange(change.mailboxId);
    });
    this.unsubscribe = subscription.unsubscribe;
    if (appPasswordId) {
      // RFC 3501 §7.1.5: BYE may come at any time, in IDLE or mid-command.
      const watch = watchAppPassword(account.id, appPasswordId, () => {
        this.write("* BYE The app password this session signed in with was revoked\r\n");
        this.close();
      });
      this.stopWatch = watch.stop;
      await watch.ready;
    }
    await subscription.ready;
  }

  select(mailbox: MailboxState, readOnly: boolean, uids: number[], recentFrom: number): void {
    this.selected = {
      id: mailbox.id,
      name: mailbox.name,
      uidValidity: mailbox.uidValidity,
      readOnly,
      uids,
      highestModseq: mailbox.highestModseq,
      uidNext: mailbox.uidNext,
      recent: new Set(uids.filter((uid) => uid >= recentFrom)),
      keywords: new Set(),
    };
    this.state = "selected";
  }

  /**
   * Where this session's \Recent messages start among uids below `uidNext`:
   * a read-write session claims them from the folder, a read-only one only
   * looks (RFC 3501 §6.3.2: EXAMINE does not change \Recent).
   */
  async recentFrom(mailbox: MailboxState, readOnly: boolean): Promise<number> {
    if (readOnly || mailbox.recentUid >= mailbox.uidNext) return mailbox.recentUid;
    return claimRecentMessages(this.account!.id, mailbox.id, mailbox.uidNext);
  }

  /**
   * The FLAGS list of a message as this session shows it: \Recent where it
   * is, and each keyword announced first in an untagged FLAGS and
   * PERMANENTFLAGS (RFC 3501 §7.2.6), as clients learn keywords from those.
   */
  flagValues(flags: MessageFlags & { uid: number }): ImapValue[] {
    const selected = this.selected;
    const out = flagList(flags);
    if (!selected) return out;
    if (flags.keywords.some((k) => !selected.keywords.has(k))) {
      for (const keyword of flags.keywords) selected.keywords.add(keyword);
      this.announceFlags();
    }
    if (selected.recent.has(flags.uid)) out.unshift(atom("\\Recent"));
    return out;
  }

  /**
   * RFC 7162 §3.1: the first CONDSTORE-enabling command in a selected folder
   * (FETCH MODSEQ, STORE UNCHANGEDSINCE, SEARCH MODSEQ) reports the folder's
   * HIGHESTMODSEQ.
   */
  enableCondstore(): void {
    if (this.condstore) return;
    this.condstore = true;
    if (this.selected) this.untagged(`OK [HIGHESTMODSEQ ${this.selected.highestModseq}] Highest`);
  }

  /** The untagged FLAGS and PERMANENTFLAGS of the selected folder (SELECT, new keywords). */
  announceFlags(): void {
    const selected = this.selected!;
    const keywords = [...selected.keywords].map((k) => ` ${k}`).join("");
    const system = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    this.untagged(`FLAGS (${system}${keywords})`);
    this.untagged(
      `OK [PERMANENTFLAGS (${selected.readOnly ? "" : `${system}${keywords} \\*`})] Flags permitted`,
    );
  }

  deselect(): void {
    this.selected = null;
    this.state = "authenticated";
  }

  /**
   * Brings the client's view of the selected folder up to date: EXISTS for
   * new messages, FETCH FLAGS for changed ones and (when allowed) EXPUNGE
   * for those gone. Runs one at a time.
   */
  async sync(allowExpunge: boolean): Promise<void> {
    if (this.syncing) {
      this.resyncWanted = true;
      await this.syncing;
      if (!this.resyncWanted) return;
    }
    this.resyncWanted = false;
    this.syncing = this.syncOnce(allowExpunge).finally(() => {
      this.syncing = null;
    });
    await this.syncing;
  }

  private async syncOnce(allowExpunge: boolean): Promise<void> {
    const selected = this.selected;
    if (!selected || !this.account) return;
    // Cleared before the read: a change heard while it runs is read next time.
    this.changeHeard = false;
    const view = await readMailboxView(this.account.id, selected.id, {
      highestModseq: selected.highestModseq,
      uidNext: selected.uidNext,
      messageCount: selected.uids.length,
    }).catch((error: unknown) => {
      this.changeHeard = true;
      throw error;
    });
    if (this.selected !== selected) return;
    if (!view || (view.mailbox && view.mailbox.uidValidity !== selected.uidValidity)) {
      this.untagged("BYE [UNAVAILABLE] The selected folder was deleted or renamed away");
      this.close();
      return;
    }
    if (!view.mailbox) return;
    const known = new Set(selected.uids);
    let heldExpunges = false;
    if (view.uids !== null) {
      const present = new Set(view.uids);
      heldExpunges = this.applyExpunges(present, allowExpunge);
      const lastKnown = selected.uids.length > 0 ? selected.uids[selected.uids.length - 1]! : 0;
      const added = view.uids.filter((uid) => uid > lastKnown && !known.has(uid));
      selected.uidNext = view.mailbox.uidNext;
      if (added.length > 0) {
        const from = await this.recentFrom(view.mailbox, selected.readOnly);
        if (this.selected !== selected) return;
        selected.uids.push(...added);
        for (const uid of added) if (uid >= from) selected.recent.add(uid);
        this.untagged(`${selected.uids.length} EXISTS`);
        this.untagged(`${selected.recent.size} RECENT`);
      }
    }
    for (const change of view.changed) {
      if (!known.has(change.uid)) continue;
      const seq = this.seqOf(change.uid);
      if (seq === 0) continue;
      const items: ImapValue[] = [atom("UID"), change.uid, atom("FLAGS"), this.flagValues(change)];
      if (this.condstore) items.push(atom("MODSEQ"), [change.modseq]);
      this.send(`* ${seq} FETCH`, [items]);
    }
    // Held expunges are looked for again next time: keep the old mod-sequence.
    if (!heldExpunges) selected.highestModseq = view.mailbox.highestModseq;
    else this.changeHeard = true;
  }

  /**
   * After the running command's own change to the selected folder, with the
   * folder's state as the change's statement left it. When that state is
   * the session's plus exactly this change (one mod-sequence more, uidNext
   * unchanged, only the `removed` uids gone), nothing else happened since
   * the last sync: the session takes the change (EXPUNGE responses for
   * `removed`, which only EXPUNGE-allowing commands pass) and skips the sync
   * after the command. Changes committed later are heard over LISTEN, as
   * after any sync. Otherwise the usual sync runs.
   */
  ownChange(after: ChangedMailbox | null, removed: number[] = []): void {
    const selected = this.selected;
    if (!selected || !after) return;
    const gone = new Set(removed);
    if (
      after.highestModseq !== selected.highestModseq + 1n ||
      after.uidNext !== selected.uidNext ||
      after.messageCount !== selected.uids.length - gone.size ||
      removed.some((uid) => this.seqOf(uid) === 0)
    )
      return;
    if (gone.size > 0)
      this.applyExpunges(new Set(selected.uids.filter((uid) => !gone.has(uid))), true);
    selected.highestModseq = after.highestModseq;
    this.upToDate = true;
  }

  /** EXPUNGE for known uids no longer present (when allowed); returns whether some had to be held back. */
  private applyExpunges(present: Set<number>, allowExpunge: boolean): boolean {
    const selected = this.selected!;
    let heldExpunges = false;
    if (selected.uids.some((uid) => !present.has(uid))) {
      if (allowExpunge) {
        for (let i = selected.uids.length - 1; i >= 0; i--) {
          if (!present.has(selected.uids[i]!)) {
            this.untagged(`${i + 1} EXPUNGE`);
            selected.recent.delete(selected.uids[i]!);
            selected.uids.splice(i, 1);
          }
        }
      } else {
        heldExpunges = true;
      }
    }
    return heldExpunges;
  }

  /** Sequence number of a known uid, 0 when the session does not know it. */
  seqOf(uid: number): number {
    const uids = this.selected?.uids ?? [];
    let lo = 0;
    let hi = uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = uids[mid]!;
      if (value === uid) return mid + 1;
      if (value < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  untagged(text: string): void {
    this.write(`* ${text}\r\n`);
  }

  send(prefix: string, values: ImapValue[]): boolean {
    return this.write(encodeLine(prefix, values));
  }

  write(data: string | Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Waits until the socket has room again (large FETCH responses). */
  async drain(): Promise<void> {
    // A corked socket never drains: send what is held, wait, then hold again.
    const socket = this.socket;
    const corked = socket.writableCorked;
    for (let i = 0; i < corked; i++) socket.uncork();
    try {
      await this.waitForDrain();
    } finally {
      for (let i = 0; i < corked; i++) socket.cork();
    }
  }

  private async waitForDrain(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.once("drain", done);
      this.socket.once("close", done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    this.queue.length = 0;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.stopWatch?.();
    this.stopWatch = null;
    const waiter = this.lineWaiter;
    this.lineWaiter = null;
    waiter?.(Buffer.from("*"));
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.onClose(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** FETCH and SEARCH that change nothing (a FETCH of a body sets \\Seen, RFC 3501 §6.4.5). */
function readsOnly(command: Command): boolean {
  if (command.name === "SEARCH") return true;
  return command.name === "FETCH" && !fetchSetsSeen(command.items);
}

/** The FLAGS list of a message (RFC 3501 §2.3.2). */
export function flagList(flags: MessageFlags): ImapValue[] {
  const out: ImapValue[] = [];
  if (flags.seen) out.push(atom("\\Seen"));
  if (flags.answered) out.push(atom("\\Answered"));
  if (flags.flagged) out.push(atom("\\Flagged"));
  if (flags.deleted) out.push(atom("\\Deleted"));
  if (flags.draft) out.push(atom("\\Draft"));
  for (const keyword of flags.keywords) out.push(atom(keyword));
  return out;
}

/** One place where store errors become IMAP response codes (RFC 5530). */
export function failureFor(error: unknown): { code: string; message: string } {
  if (isUserError(error)) {
    switch (error.code) {
      case "not_found":
        return { code: "NONEXISTENT", message: error.message };
      case "over_quota":
        return { code: "OVERQUOTA", message: error.message };
      case "too_large":
        return { code: "TOOBIG", message: error.message };
      case "invalid_credentials":
      // RFC 5530 §3: AUTHENTICATIONFAILED, with the reason (use an app password) as its text.
      case "app_password_required":
        return { code: "AUTHENTICATIONFAILED", message: error.message };
      case "account_disabled":
        return { code: "CONTACTADMIN", message: error.message };
      case "throttled":
        return { code: "UNAVAILABLE", message: error.message };
      case "forbidden":
        return { code: "NOPERM", message: error.message };
      default:
        return { code: "CANNOT", message: error.message };
    }
  }
  return { code: "UNAVAILABLE", message: "Temporary failure, try again later" };
}
