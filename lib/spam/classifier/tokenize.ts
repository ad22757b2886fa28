// What the content classifier looks at: a message turned into a set of
// feature hashes. Words and adjacent word pairs (sparse bigrams, as CRM114's
// and rspamd's OSB tokens start from) of the decoded text of the text/plain
// and text/html parts, the hosts of the links, and selected header fields,
// each prefixed by where it came from ("s:" subject, "f:" From...), so
// "free" in a Subject and "free" in a body are different evidence.
//
// Speed is the point: the MX runs this for every copy before its 250, so it
// reads the MIME tree by offsets (mime-structure.ts, no mailparser), strips
// HTML with a scanner instead of a DOM, reads at most MAX_TEXT_CHARS of text
// per message and hashes each feature to a 52-bit integer (a JS number that
// a Postgres int8 holds exactly), so the store never sees the words.
import libmime from "libmime";
import { parseMimeStructure, type MimePart } from "../../mime/mime-structure.ts";

/** Decoded text read per message at most; spam says what it says early. */
export const MAX_TEXT_CHARS = 48 * 1024;
/** Header bytes read at most (a crafted header block can be huge). */
const MAX_HEADER_VALUE_CHARS = 4096;
/** Words shorter or longer than this are not features (bogofilter: 3..30). */
const MIN_WORD = 2;
const MAX_WORD = 32;
/** Hash 0 is never a feature: the stores keep each model's message counts under it. */
export const MESSAGE_COUNT_TOKEN = 0;

// Our own verdict headers: training on them would teach the filter to
// believe itself. Trace fields that only say which of our hosts took it add
// nothing either.
const SKIPPED_HEADERS = /^(x-spam-|x-bogosity|x-rspamd-)/;

/** The header fields whose words are features, with their prefix. */
const WORD_HEADERS: Record<string, string> = {
  subject: "s",
  from: "f",
  "reply-to": "rt",
  to: "t",
  cc: "t",
  "x-mailer": "xm",
  "user-agent": "xm",
  "content-type": "ct",
  received: "r",
  "return-path": "rp",
  "message-id": "mid",
  "list-id": "li",
  organization: "o",
  precedence: "p",
};

/**
 * 52-bit FNV-1a-style hash of a string (two 32-bit lanes, different
 * offsets): collisions among the million or so features a big model holds
 * are about one in ten thousand pairs of a billion, i.e. noise.
 */
export function featureHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const h = (a >>> 0) * 0x100000 + ((b >>> 12) & 0xfffff);
  return h === MESSAGE_COUNT_TOKEN ? 1 : h;
}

class FeatureSet {
  readonly hashes = new Set<number>();
  add(feature: string): void {
    this.hashes.add(featureHash(feature));
  }
}

// Letters and digits of any script, plus the few marks spam leans on
// ($100, 50%, a-b-c). Apostrophes join ("don't").
const WORD = /[\p{L}\p{N}$€£%][\p{L}\p{N}\p{M}$€£%'_.-]*/gu;
const URL_HOST = /\b(?:https?:\/\/|www\.)([a-z0-9.-]+)/gi;

function normalizeWord(raw: string): string | null {
  let w = raw.replace(/[.'_-]+$/, "");
  if (w.length < MIN_WORD) return null;
  if (w.length > MAX_WORD) return "long:" + Math.min(9, Math.floor(w.length / 16));
  w = w.toLowerCase();
  // Numbers say little by value and a lot by shape (prices, phone numbers).
  if (/^\d+$/.test(w)) return "n" + Math.min(w.length, 12);
  return w;
}

/** Words and adjacent pairs of `text` under `prefix`. */
function addText(set: FeatureSet, prefix: string, text: string, pairs: boolean): void {
  let previous: string | null = null;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const word = normalizeWord(m[0]);
    if (word === null) continue;
    set.add(prefix + word);
    if (pairs && previous !== null) set.add(prefix + previous + " " + word);
    previous = word;
  }
  URL_HOST.lastIndex = 0;
  for (let m = URL_HOST.exec(text); m !== null; m = URL_HOST.exec(text)) addHost(set, m[1]!);
}

/** A link's host and its last two labels (the registered domain, near enough). */
function addHost(set: FeatureSet, host: string): void {
  const h = host.toLowerCase().replace(/\.+$/, "");
  if (/^\d+\.\d+\.\d+\.\d+$/.test(h)) {
    set.add("u:ip");
    return;
  }
  set.add("u:" + h);
  const labels = h.split(".");
  if (labels.length > 2) set.add("u:" + labels.slice(-2).join("."));
  set.add("u:tld:" + labels[labels.length - 1]);
}

function decodeHeader(value: string): string {
  const cut =
    value.length > MAX_HEADER_VALUE_CHARS ? value.slice(0, MAX_HEADER_VALUE_CHARS) : value;
  if (!cut.includes("=?")) return cut;
  try {
    return libmime.decodeWords(cut);
  } catch {
    return cut;
  }
}

function addHeaders(set: FeatureSet, part: MimePart): void {
  const names = new Set<string>();
  for (const field of part.fields) {
    if (SKIPPED_HEADERS.test(field.name)) continue;
    names.add(field.name);
    const prefix = WORD_HEADERS[field.name];
    if (prefix === undefined) continue;
    const value = decodeHeader(field.value);
    if (field.name === "received") {
      // Hosts and networks, not dates: "from", "by", IPs cut to their /24.
      const ips = value.match(/\b\d{1,3}\.\d{1,3}\.\d{1,3}(?=\.\d{1,3}\b)/g) ?? [];
      for (const ip of ips) set.add("r:ip:" + ip);
      addText(set, "r:", value.replace(/;.*$/, ""), false);
    } else if (field.name === "message-id") {
      const at = value.lastIndexOf("@");
      set.add(
        "mid:" +
          (at === -1
            ? "none"
            : value
                .slice(at + 1)
                .replace(/>.*$/, "")
                .toLowerCase()),
      );
      set.add("mid:shape:" + value.replace(/[a-z]/gi, "a").replace(/\d/g, "9").slice(0, 24));
    } else {
      addText(set, prefix + ":", value, field.name === "subject");
      if (field.name === "subject") {
        const letters = value.replace(/[^\p{L}]/gu, "");
        if (letters.length >= 8 && letters === letters.toUpperCase()) set.add("s:allcaps");
      }
    }
  }
  for (const name of names) set.add("h:" + name);
  const authResults = part.fields.filter((f) => f.name === "authentication-results");
  for (const field of authResults)
    for (const m of field.value.matchAll(/\b(spf|dkim|dmarc|arc)=([a-z]+)/gi))
      set.add(`a:${m[1]!.toLowerCase()}=${m[2]!.toLowerCase()}`);
}

function decodeBody(raw: string, encoding: string): Buffer {
  const enc = encoding.toLowerCase();
  if (enc === "base64") return Buffer.from(raw.replace(/[^A-Za-z0-9+/]/g, ""), "base64");
  if (enc === "quoted-printable") {
    const unwrapped = raw.replace(/=\r?\n/g, "");
    return Buffer.from(
      unwrapped.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      ),
      "latin1",
    );
  }
  return Buffer.from(raw, "latin1");
}

const decoders = new Map<string, TextDecoder | null>();

function toText(bytes: Buffer, charset: string): string {
  const name = charset.toLowerCase();
  if (name === "" || name === "us-ascii" || name === "ascii") return bytes.toString("latin1");
  let decoder = decoders.get(name);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(name);
    } catch {
      decoder = null;
    }
    decoders.set(name, decoder);
  }
  return decoder ? decoder.decode(bytes) : bytes.toString("latin1");
}

const ENTITIES: Record<string, string> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"' };

/** The text of an HTML body, with link hosts and a few tag traits as features. */
function htmlText(set: FeatureSet, html: string): string {
  let text = "";
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt === -1) {
      text += html.slice(i);
      break;
    }
    text += html.slice(i, lt) + " ";
    const gt = html.indexOf(">", lt);
    if (gt === -1) break;
    const tag = html.slice(lt + 1, gt);
    const name = /^\/?([a-z0-9]+)/i.exec(tag)?.[1]?.toLowerCase();
    if (name === "style" || name === "script") {
      if (tag[0] !== "/") {
        const close = html.toLowerCase().indexOf(`</${name}`, gt);
        i = close === -1 ? html.length : close;
        set.add("html:" + name);
        continue;
      }
    } else if (name !== undefined && tag[0] !== "/") {
      if (name === "img" || name === "font" || name === "table" || name === "form")
        set.add("html:" + name);
      for (const m of tag.matchAll(/\b(?:href|src)\s*=\s*["']?(?:https?:)?\/\/([a-z0-9.-]+)/gi))
        addHost(set, m[1]!);
    }
    i = gt + 1;
  }
  return text.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const code =
        e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000
        ? String.fromCodePoint(code)
        : " ";
    }
    return ENTITIES[e.toLowerCase()] ?? " ";
  });
}

function leaves(part: MimePart, out: MimePart[]): void {
  if (part.children.length > 0) for (const child of part.children) leaves(child, out);
  else if (part.message) {
    out.push(part);
    leaves(part.message, out);
  } else out.push(part);
}

/**
 * The message's feature hashes, each once (the combiner counts a feature
 * per message, not per occurrence). Never throws on malformed mail.
 */
export function messageTokens(source: Buffer): number[] {
  const text = source.toString("latin1");
  const set = new FeatureSet();
  const root = parseMimeStructure(source);
  addHeaders(set, root);
  set.add(`ct:${root.type}/${root.subtype}`);
  const parts: MimePart[] = [];
  leaves(root, parts);
  let budget = MAX_TEXT_CHARS;
  for (const part of parts) {
    const type = `${part.type}/${part.subtype}`;
    const filename = part.disposition?.params.find(([n]) => n.startsWith("filename"))?.[1];
    const isAttachment = part.disposition?.type.toLowerCase() === "attachment" || !!filename;
    if (part.type !== "text" || isAttachment) {
      set.add("att:" + type);
      const ext = filename ? /\.([a-z0-9]{1,8})$/i.exec(filename)?.[1] : undefined;
      if (ext) set.add("att:." + ext.toLowerCase());
      continue;
    }
    if (budget <= 0) break;
    const charset = part.params.find(([n]) => n === "charset")?.[1] ?? "";
    if (charset) set.add("cs:" + charset.toLowerCase());
    const encoding = part.encoding.toLowerCase();
    if (encoding !== "7bit" && encoding !== "8bit") set.add("cte:" + encoding);
    const rawBody = text.slice(part.bodyStart, Math.min(part.end, part.bodyStart + budget * 2));
    let body = toText(decodeBody(rawBody, part.encoding), charset);
    if (part.subtype === "html") {
      set.add("html");
      body = htmlText(set, body);
    }
    if (body.length > budget) body = body.slice(0, budget);
    budget -= body.length;
    addText(set, "", body, true);
  }
  return [...set.hashes];
}
