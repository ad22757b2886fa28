// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands
// for itself ("&" as "&-"), anything else is UTF-16 in a "&...-" run of
// base64 with "," for "/". Our store keeps names as Unicode.
import { isStorableText } from "../../lib/validation/storable-text.ts";
import { ParseError } from "./parse-error.ts";

export function encodeMailboxName(name: string): string {
  let out = "";
  let run = "";
  const flush = () => {
    if (!run) return;
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += `&${utf16.toString("base64").replace(/=+$/, "").replace(/\//g, ",")}-`;
    run = "";
  };
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === "&" ? "&-" : ch;
    } else {
      run += ch;
    }
  }
  flush();
  return out;
}

/**
 * Decodes a name from the wire; throws ParseError for a malformed "&...-"
 * run, and for one that decodes to U+0000 or to UTF-16 that is not
 * well-formed (a lone surrogate): no such name can be a folder's.
 */
export function decodeMailboxName(wire: string): string {
  if (!wire.includes("&")) {
    // Raw 8-bit names are not modified UTF-7 but some clients send UTF-8 anyway.
    return /[^\x00-\x7f]/.test(wire) ? Buffer.from(wire, "latin1").toString("utf8") : wire;
  }
  const name = wire.replace(/&([^-]*)-/g, (_, run: string) => {
    if (run === "") return "&";
    if (!/^[A-Za-z0-9+,]+$/.test(run))
      throw new ParseError("[CANNOT] Malformed modified UTF-7 in a name", "NO");
    const bytes = Buffer.from(run.replace(/,/g, "/"), "base64");
    let text = "";
    for (let i = 0; i + 1 < bytes.length; i += 2)
      text += String.fromCharCode(bytes.readUInt16BE(i));
    return text;
  });
  if (!isStorableText(name))
    throw new ParseError("Modified UTF-7 in a name decodes to invalid text");
  return name;
}
