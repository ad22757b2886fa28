// The search box's query language, parsed into plain conditions with no
// database in sight (build-search-sql.ts turns them into SQL). Gmail-like:
//
//   from:alice to:"Bob Smith" subject:invoice has:attachment is:unread
//   is:flagged in:Archive before:2026-01-31 after:2025/12/01 -word "a phrase"
//   label:work label:"To Do"
//
// Terms are ANDed. A leading "-" negates a term. A value may be quoted. An
// unknown operator ("foo:bar") or a value an operator does not take
// ("is:purple") is searched as text, the way Gmail does, rather than failing.
import { labelSearchKeywords } from "../labels/keywords.ts";

export type TextCondition = { kind: "text"; value: string; negated: boolean };
export type FieldCondition = {
  kind: "from" | "to" | "subject";
  value: string;
  negated: boolean;
};
export type FlagCondition = {
  kind: "is";
  value: "unread" | "read" | "flagged" | "unflagged" | "answered";
  negated: boolean;
};
export type HasCondition = { kind: "has"; value: "attachment"; negated: boolean };
/** Carries one of these IMAP keywords (lib/labels/keywords.ts labelSearchKeywords). */
export type LabelCondition = { kind: "label"; keywords: string[]; negated: boolean };
/** receivedAt < date (before) or >= date (after); dates are UTC midnights. */
export type DateCondition = { kind: "before" | "after"; date: Date; negated: boolean };

export type SearchCondition =
  TextCondition | FieldCondition | FlagCondition | HasCondition | DateCondition | LabelCondition;

export type ParsedQuery = {
  conditions: SearchCondition[];
  /** The in: folder name, as typed (last one wins); null means "all but Trash and Junk". */
  folder: string | null;
};

/** Terms beyond this are ignored: each one is a SQL condition. */
export const MAX_QUERY_TERMS = 20;
/** Characters of a query considered at all. */
export const MAX_QUERY_LENGTH = 500;

const FLAG_VALUES: Record<string, FlagCondition["value"]> = {
  unread: "unread",
  unseen: "unread",
  read: "read",
  seen: "read",
  flagged: "flagged",
  starred: "flagged",
  unflagged: "unflagged",
  unstarred: "unflagged",
  answered: "answered",
  replied: "answered",
};

type Token = { negated: boolean; key: string | null; value: string; quoted: boolean };

/** Splits the query into tokens: [-][key:]value, where value may be "quoted". */
export function tokenize(input: string): Token[] {
  const s = input.slice(0, MAX_QUERY_LENGTH);
  const tokens: Token[] = [];
  let i = 0;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < s.length) {
    while (isSpace(s[i])) i++;
    if (i >= s.length) break;
    let negated = false;
    if (s[i] === "-" && i + 1 < s.length && !isSpace(s[i + 1])) {
      negated = true;
      i++;
    }
    let key: string | null = null;
    // key:value, where key is a bare word directly followed by a colon.
    const keyMatch = /^([a-zA-Z]+):(?=\S)/.exec(s.slice(i));
    if (keyMatch) {
      key = keyMatch[1]!.toLowerCase();
      i += keyMatch[0].length;
    }
    let value = "";
    let quoted = false;
    if (s[i] === '"') {
      quoted = true;
      const end = s.indexOf('"', i + 1);
      value = end === -1 ? s.slice(i + 1) : s.slice(i + 1, end);
      i = end === -1 ? s.length : end + 1;
    } else {
      const start = i;
      while (i < s.length && !isSpace(s[i])) i++;
      value = s.slice(start, i);
    }
    value = value.trim();
    if (value === "" && key === null) continue;
    tokens.push({ negated, key, value, quoted });
  }
  return tokens;
}

/** Parses "2026-01-31", "2026/01/31" or "2026-1-5" as that day's UTC midnight. */
export function parseDay(value: string): Date | null {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Reject 2026-02-31 and friends instead of rolling over into March.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return null;
  }
  return date;
}

export function parseQuery(input: string): ParsedQuery {
  const conditions: SearchCondition[] = [];
  let folder: string | null = null;
  for (const token of tokenize(input)) {
    if (conditions.length >= MAX_QUERY_TERMS) break;
    const { negated, key, value } = token;
    // What the token says when it is not a known operator: its text as typed.
    const asText = (): TextCondition => ({
      kind: "text",
      value: key === null ? value : `${key}:${value}`,
      negated,
    });
    switch (key) {
      case null:
        conditions.push(asText());
        break;
      case "from":
      case "to":
      case "subject":
        if (value) conditions.push({ kind: key, value, negated });
        break;
      case "cc":
        if (value) conditions.push({ kind: "to", value, negated });
        break;
      case "is": {
        const flag = FLAG_VALUES[value.toLowerCase()];
        conditions.push(flag ? { kind: "is", value: flag, negated } : asText());
        break;
      }
      case "has":
        conditions.push(
          /^attachments?$/i.test(value) ? { kind: "has", value: "attachment", negated } : asText(),
        );
        break;
      case "label": {
        const keywords = labelSearchKeywords(value);
        conditions.push(keywords.length > 0 ? { kind: "label", keywords, negated } : asText());
        break;
      }
      case "in":
        // -in: is not supported: "everything but a folder" is rare enough.
        if (value && !negated) folder = value;
        else conditions.push(asText());
        break;
      case "before":
      case "after":
      case "older":
      case "newer": {
        const date = parseDay(value);
        const kind = key === "before" || key === "older" ? "before" : "after";
        conditions.push(date ? { kind, date, negated } : asText());
        break;
      }
      default:
        conditions.push(asText());
    }
  }
  return { conditions, folder };
}

/** True when the query asks for nothing (an empty or blank search box). */
export function isEmptyQuery(query: ParsedQuery): boolean {
  return query.conditions.length === 0 && query.folder === null;
}
