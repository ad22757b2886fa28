// Change notifications. lib/store sends one Postgres NOTIFY per changed
// message inside the writing transaction, so listeners (the webmail's live
// updates, IMAP IDLE later) hear of a change exactly when it is committed and
// never of one that was rolled back.

/** The channel every change goes out on (LISTEN mail_changes). */
export const MAIL_CHANGES_CHANNEL = "mail_changes";

/** The JSON payload of one notification. */
export type MailChange = {
  accountId: string;
  mailboxId: string;
  kind: "new";
  /** Message.id of the new copy. */
  messageId: string;
  uid: number;
};

/** Parses a notification payload; null when it is not one of ours. */
export function parseMailChange(payload: string | undefined): MailChange | null {
  if (!payload) return null;
  try {
    const value = JSON.parse(payload) as Partial<MailChange>;
    if (typeof value.accountId !== "string" || typeof value.mailboxId !== "string") return null;
    if (
      value.kind !== "new" ||
      typeof value.messageId !== "string" ||
      typeof value.uid !== "number"
    )
      return null;
    return value as MailChange;
  } catch {
    return null;
  }
}
