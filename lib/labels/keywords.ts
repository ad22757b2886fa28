// Labels are IMAP keywords (RFC 3501 §2.3.2 flag-keyword), so every IMAP
// client sees the same ones: Thunderbird shows keywords as tags, and a tag
// set there shows here as a label. Pure (no database): the browser uses it
// to show labels, lib/search to read `label:`, lib/store/labels.ts to make
// them.
//
// A label's keyword is made from its name the way Thunderbird makes a tag's
// key: lower-cased, with the characters an IMAP atom cannot hold turned into
// "_" (atom-specials, RFC 3501 §9: ( ) { SP CTL % * " \ ]), here also any
// non-ASCII character (Thunderbird would write modified UTF-7 there).

export type LabelDef = { keyword: string; name: string; color: string };

/** Thunderbird's five built-in tags and their colours. */
export const THUNDERBIRD_TAGS: readonly LabelDef[] = [
  { keyword: "$label1", name: "Important", color: "#ff0000" },
  { keyword: "$label2", name: "Work", color: "#ff9900" },
  { keyword: "$label3", name: "Personal", color: "#009900" },
  { keyword: "$label4", name: "To Do", color: "#3333ff" },
  { keyword: "$label5", name: "Later", color: "#993399" },
];

/** Colours a label may have (the picker's choice; also what IMAP-made labels get: grey). */
export const LABEL_COLORS = [
  "#6b7280",
  "#dc2626",
  "#ea580c",
  "#ca8a04",
  "#16a34a",
  "#0891b2",
  "#2563eb",
  "#7c3aed",
  "#db2777",
] as const;
export const DEFAULT_LABEL_COLOR = LABEL_COLORS[0];

/** Longest label name. */
export const MAX_LABEL_NAME_LENGTH = 64;

const NOT_IN_ATOM = /[^\x21-\x7e]|[(){%*"\\\]]/g;

/** The keyword a label called `name` is stored as ("" for a name with nothing left). */
export function labelKeyword(name: string): string {
  return name.normalize("NFC").trim().toLowerCase().replace(NOT_IN_ATOM, "_");
}

// Keywords that are flags, not labels: "$" keywords are by convention the
// system's ($Forwarded, $MDNSent, $Junk, $NotJunk, $Phishing, RFC 5788),
// except Thunderbird's $label1–5; and the old bare junk markers.
const FLAG_KEYWORDS = new Set(["junk", "nonjunk", "notjunk"]);

/** Whether `keyword` can be sent as an IMAP flag-keyword (an atom, not a \\flag). */
export function isAtomKeyword(keyword: string): boolean {
  return (
    keyword.length > 0 && keyword.length <= 200 && keyword.replace(NOT_IN_ATOM, "") === keyword
  );
}

export function isLabelKeyword(keyword: string): boolean {
  const k = keyword.toLowerCase();
  if (/^\$label[1-5]$/.test(k)) return true;
  return !k.startsWith("$") && !k.startsWith("\\") && !FLAG_KEYWORDS.has(k);
}

/**
 * The labels a message's keywords stand for, in the order of `defs` (the
 * account's labels), then the ones it has no definition of (a keyword set
 * by another client shows under its own name, in grey).
 */
export function labelsOf(keywords: string[], defs: readonly LabelDef[]): LabelDef[] {
  const known = new Map<string, LabelDef>();
  for (const def of [...THUNDERBIRD_TAGS, ...defs]) known.set(def.keyword.toLowerCase(), def);
  const shown: LabelDef[] = [];
  const seen = new Set<string>();
  for (const keyword of keywords) {
    const k = keyword.toLowerCase();
    if (seen.has(k) || !isLabelKeyword(k)) continue;
    seen.add(k);
    shown.push(known.get(k) ?? { keyword, name: keyword, color: DEFAULT_LABEL_COLOR });
  }
  const order = new Map(defs.map((d, i) => [d.keyword.toLowerCase(), i]));
  const rank = (d: LabelDef) => order.get(d.keyword.toLowerCase()) ?? defs.length;
  return shown.sort((a, b) => rank(a) - rank(b));
}

/** The keywords `label:<name>` finds: the name's own, and a Thunderbird tag's of that name. */
export function labelSearchKeywords(name: string): string[] {
  const keywords = new Set<string>();
  const own = labelKeyword(name);
  if (own) keywords.add(own);
  const tag = THUNDERBIRD_TAGS.find((t) => t.name.toLowerCase() === name.trim().toLowerCase());
  if (tag) keywords.add(tag.keyword);
  return [...keywords];
}
