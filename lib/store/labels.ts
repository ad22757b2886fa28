// The account's labels: names and colours of IMAP keywords (Label rows), and
// putting a label on messages or taking it off, which is an IMAP STORE
// +FLAGS/-FLAGS of the keyword through set-message-flags.ts (same modseq,
// counters and NOTIFY rules as any IMAP client's). Which keywords are labels
// and how a name becomes one: lib/labels/keywords.ts.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import {
  LABEL_COLORS,
  MAX_LABEL_NAME_LENGTH,
  labelKeyword,
  isAtomKeyword,
  isLabelKeyword,
  type LabelDef,
} from "../labels/keywords.ts";
import { assertStorableText } from "../validation/storable-text.ts";
import { isUuid } from "./list-messages.ts";
import { MAX_MESSAGES_PER_CHANGE } from "./lock-messages.ts";
import { setMessageFlags } from "./set-message-flags.ts";

/** Labels one account may define. */
export const MAX_LABELS_PER_ACCOUNT = 200;

/** The account's labels, by name. */
export async function listLabels(accountId: string): Promise<LabelDef[]> {
  const rows = await db.label.findMany({
    where: { accountId },
    select: { keyword: true, name: true, color: true },
  });
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

function checkColor(color: string): string {
  const c = color.toLowerCase();
  if (!(LABEL_COLORS as readonly string[]).includes(c)) {
    throw new UserError("invalid_input", "Choose one of the colours offered.", "color");
  }
  return c;
}

/** Defines a label; UserError when the name is empty, too long or taken. */
export async function createLabel(
  accountId: string,
  name: string,
  color: string,
): Promise<LabelDef> {
  assertStorableText(name, "name");
  const trimmed = name.normalize("NFC").trim();
  const keyword = labelKeyword(trimmed);
  if (!trimmed || !keyword.replace(/_/g, "")) {
    throw new UserError("invalid_input", "Enter a label name.", "name");
  }
  if (trimmed.length > MAX_LABEL_NAME_LENGTH) {
    throw new UserError(
      "invalid_input",
      `Use at most ${MAX_LABEL_NAME_LENGTH} characters.`,
      "name",
    );
  }
  if (!isLabelKeyword(keyword)) {
    throw new UserError("invalid_input", "That name is kept for mail flags.", "name");
  }
  const def = { keyword, name: trimmed, color: checkColor(color) };
  return db.$transaction(async (tx) => {
    if ((await tx.label.count({ where: { accountId } })) >= MAX_LABELS_PER_ACCOUNT) {
      throw new UserError("invalid_input", `At most ${MAX_LABELS_PER_ACCOUNT} labels.`, "name");
    }
    const inserted = await tx.$executeRaw`
      INSERT INTO "Label" ("accountId", "keyword", "name", "color")
      VALUES (${accountId}::uuid, ${def.keyword}, ${def.name}, ${def.color})
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) {
      throw new UserError("invalid_input", "There is already a label with that name.", "name");
    }
    return def;
  });
}

/**
 * Forgets a label's name and colour. Messages keep the keyword (IMAP
 * clients may use it), so they show it as a plain grey label.
 */
export async function deleteLabel(accountId: string, keyword: string): Promise<void> {
  const { count } = await db.label.deleteMany({ where: { accountId, keyword } });
  if (count === 0) throw new UserError("not_found", "No such label.");
}

/**
 * Puts the label `keyword` on the account's messages among `ids`, or takes
 * it off; returns how many changed. The keyword needs no definition (a
 * label made over IMAP has none).
 */
export async function setLabel(
  accountId: string,
  ids: string[],
  keyword: string,
  on: boolean,
): Promise<number> {
  if (!isAtomKeyword(keyword) || !isLabelKeyword(keyword)) {
    throw new UserError("invalid_input", "That is not a label.");
  }
  const valid = [...new Set(ids.filter(isUuid))].slice(0, MAX_MESSAGES_PER_CHANGE);
  const rows = await db.message.findMany({
    where: { accountId, id: { in: valid } },
    select: { mailboxId: true, uid: true },
  });
  if (rows.length === 0) throw new UserError("not_found", "No such message.");
  const byMailbox = new Map<string, number[]>();
  for (const r of rows) byMailbox.set(r.mailboxId, [...(byMailbox.get(r.mailboxId) ?? []), r.uid]);
  let changed = 0;
  for (const [mailboxId, uids] of byMailbox) {
    const result = await setMessageFlags(accountId, mailboxId, uids, {
      mode: on ? "add" : "remove",
      system: {},
      keywords: [keyword],
    });
    changed += result.changed.length;
  }
  return changed;
}
