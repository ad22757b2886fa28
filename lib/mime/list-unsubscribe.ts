// What a list message offers for leaving the list, read from its header:
// RFC 2369 §3.2 List-Unsubscribe (a comma-separated list of <URI>s, in the
// sender's order of preference) and RFC 8058 List-Unsubscribe-Post, whose
// "List-Unsubscribe=One-Click" says an HTTPS URI of List-Unsubscribe takes
// a POST that unsubscribes with no further step. Pure: no I/O.
import { findHeaderEnd, parseHeaderFields } from "./headers.ts";

export type UnsubscribeOptions = {
  /** RFC 8058 one-click: POST "List-Unsubscribe=One-Click" to this URL (from our server). */
  oneClick: string | null;
  /** RFC 6068 mailto: a message to send. */
  mailto: { to: string; subject: string; body: string } | null;
  /** A web page where the user unsubscribes themself. */
  link: string | null;
};

/** Longest URI considered (longer ones are not offered). */
const MAX_URI_LENGTH = 2048;
const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+$/;

function httpUrl(uri: string): string | null {
  try {
    const url = new URL(uri);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (url.username || url.password) return null;
    return url.toString();
  } catch {
    return null;
  }
}

function mailto(uri: string): UnsubscribeOptions["mailto"] {
  // RFC 6068 §2: mailto:addr[,addr]?hfields; only the first address, subject and body.
  const m = /^mailto:([^?]*)(?:\?(.*))?$/i.exec(uri);
  if (!m) return null;
  let to: string;
  try {
    to = decodeURIComponent(m[1]!.split(",")[0]!).trim();
  } catch {
    return null;
  }
  if (!ADDRESS.test(to)) return null;
  const params = new URLSearchParams((m[2] ?? "").replace(/\+/g, "%2B"));
  const clean = (v: string | null, max: number) =>
    (v ?? "").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").slice(0, max);
  return {
    to: to.toLowerCase(),
    subject: clean(params.get("subject"), 200).replace(/[\r\n]+/g, " ") || "unsubscribe",
    body: clean(params.get("body"), 2000) || "unsubscribe",
  };
}

/** The options a message's header block offers (all null: not list mail, or nothing usable). */
export function parseListUnsubscribe(raw: Uint8Array): UnsubscribeOptions {
  const end = findHeaderEnd(raw);
  const fields = parseHeaderFields(end === -1 ? raw : raw.subarray(0, end));
  const options: UnsubscribeOptions = { oneClick: null, mailto: null, link: null };
  const list = fields.filter((f) => f.name === "list-unsubscribe");
  // A second List-Unsubscribe is malformed (RFC 2369 §3: once); trust neither.
  if (list.length !== 1) return options;
  const post = fields.filter((f) => f.name === "list-unsubscribe-post");
  // RFC 8058 §3.1: exactly this key and value.
  const oneClick =
    post.length === 1 && post[0]!.value.trim().toLowerCase() === "list-unsubscribe=one-click";
  for (const [, uri] of list[0]!.value.matchAll(/<([^>]*)>/g)) {
    const value = uri!.replace(/\s+/g, "");
    if (value.length > MAX_URI_LENGTH) continue;
    if (/^mailto:/i.test(value)) {
      options.mailto ??= mailto(value);
      continue;
    }
    const url = httpUrl(value);
    if (!url) continue;
    // RFC 8058 §3.1 names HTTPS; plain HTTP is taken too (the URL still gets SSRF checks).
    if (oneClick) options.oneClick ??= url;
    options.link ??= url;
  }
  return options;
}

/** Whether the message offers any way out. */
export function canUnsubscribe(options: UnsubscribeOptions): boolean {
  return options.oneClick !== null || options.mailto !== null || options.link !== null;
}
