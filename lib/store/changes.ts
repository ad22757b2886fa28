// Change notifications. lib/store sends one Postgres NOTIFY per changed
// folder inside the writing transaction, so listeners (the webmail's live
// updates, IMAP IDLE) hear of a change exactly when it is committed and never
// of one that was rolled back. Deliveries say which message arrived
// (deliver.ts); every other change names the folder and the kind of change
// (notify-change.ts), and listeners re-read what they show.

/** The channel every change goes out on (LISTEN mail_changes). */
export const MAIL_CHANGES_CHANNEL = "mail_changes";

/** The JSON payload of one notification. */
export type MailChange =
  | {
      accountId: string;
      mailboxId: string;
      kind: "new";
      /** Message.id of the new copy. */
      messageId: string;
      uid: number;
    }
  | {
      accountId: string;
      mailboxId: string;
      /**
       * "added": messages moved, copied or appended in; "removed": moved out,
       * deleted or expunged; "flags": flags changed; "mailbox": the folder
       * was created, renamed, deleted (mailboxId may be gone).
       */
      kind: "added" | "removed" | "flags" | "mailbox";
    };

const OTHER_KINDS = new Set(["added", "removed", "flags", "mailbox"]);

/** Parses a notification payload; null when it is not one of ours. */
export function parseMailChange(payload: string | undefined): MailChange | null {
  if (!payload) return null;
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    if (typeof value.accountId !== "string" || typeof value.mailboxId !== "string") return null;
    if (value.kind === "new") {
      if (typeof value.messageId !== "string" || typeof value.uid !== "number") return null;
      return {
        accountId: value.accountId,
        mailboxId: value.mailboxId,
        kind: "new",
        messageId: value.messageId,
        uid: value.uid,
      };
    }
    if (typeof value.kind !== "string" || !OTHER_KINDS.has(value.kind)) return null;
    return {
      accountId: value.accountId,
      mailboxId: value.mailboxId,
      kind: value.kind as "added" | "removed" | "flags" | "mailbox",
    };
  } catch {
    return null;
  }
}
