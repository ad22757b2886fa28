// The trace fields the receiving MTA adds on top of a message: Return-Path
// and Received (RFC 5321 §4.4), Authentication-Results (RFC 8601 §5).
import { formatRfc5322Date, type HeaderField } from "../mime/headers.ts";
import { isIPv6 } from "node:net";

export type ReceivedInfo = {
  /** The name the client gave in HELO/EHLO. */
  helo: string;
  clientIp: string;
  /** Reverse DNS name of the client, when it was looked up. */
  clientHostname: string | null;
  /** Our name (the "by" clause). */
  hostname: string;
  /** EHLO (ESMTP) or HELO (SMTP). */
  esmtp: boolean;
  tls: { protocol: string; cipher: string } | null;
  authenticated: boolean;
  smtpUtf8: boolean;
  /** Our id for this transaction, also in the 250 reply: ties logs to the message. */
  id: string;
  /** Included only for a single recipient: RFC 5321 §7.2 warns that listing all recipients discloses Bcc. */
  recipient: string | null;
  date: Date;
};

/** RFC 5321 §4.1.3 address literal: [192.0.2.1] or [IPv6:2001:db8::1]. */
export function addressLiteral(ip: string): string {
  const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return isIPv6(plain) ? `[IPv6:${plain}]` : `[${plain}]`;
}

/**
 * The "with" protocol name: RFC 3848 (ESMTP, ESMTPS, ESMTPA, ESMTPSA) and
 * RFC 6531 §3.7.3 (UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA).
 */
export function receivedProtocol(
  info: Pick<ReceivedInfo, "esmtp" | "tls" | "authenticated" | "smtpUtf8">,
): string {
  const base = info.smtpUtf8 ? "UTF8SMTP" : info.esmtp ? "ESMTP" : "SMTP";
  if (base === "SMTP") return "SMTP";
  return base + (info.tls ? "S" : "") + (info.authenticated ? "A" : "");
}

// Values come from the client (HELO name, addresses): anything that could
// break the header line is replaced.
const unsafe = (value: string) => value.replace(/[\x00-\x1f\x7f()<>;\\]/g, "?");

/** The value of a Received field (RFC 5321 §4.4 Time-stamp-line), folded over lines. */
export function formatReceived(info: ReceivedInfo): string {
  const client = info.clientHostname
    ? `${unsafe(info.clientHostname)} ${addressLiteral(info.clientIp)}`
    : addressLiteral(info.clientIp);
  const lines = [`from ${unsafe(info.helo) || "unknown"} (${client})`];
  if (info.tls)
    lines.push(`(using ${unsafe(info.tls.protocol)} with cipher ${unsafe(info.tls.cipher)})`);
  const by = `by ${info.hostname} with ${receivedProtocol(info)} id ${info.id}`;
  const date = formatRfc5322Date(info.date);
  if (info.recipient) lines.push(by, `for <${unsafe(info.recipient)}>; ${date}`);
  else lines.push(`${by}; ${date}`);
  // A fold is CRLF followed by whitespace (RFC 5322 §2.2.3).
  return lines.join("\r\n\t");
}

/** Return-Path records the envelope sender at final delivery (RFC 5321 §4.4); <> for bounces. */
export function returnPathField(mailFrom: string): HeaderField {
  return { name: "Return-Path", value: `<${unsafe(mailFrom)}>` };
}

/**
 * The authserv-id of an Authentication-Results value (RFC 8601 §2.2: after
 * any comments, a value or quoted-string before ";" or a version), lower
 * case, or null.
 */
export function authservIdOf(value: string): string | null {
  let rest = value.replace(/\r?\n/g, "");
  // Leading CFWS: white space and comments, which nest (RFC 5322 §3.2.2).
  for (;;) {
    rest = rest.trimStart();
    if (rest[0] !== "(") break;
    let depth = 0;
    let i = 0;
    for (; i < rest.length; i++) {
      if (rest[i] === "\\") i++;
      else if (rest[i] === "(") depth++;
      else if (rest[i] === ")" && --depth === 0) break;
    }
    rest = rest.slice(i + 1);
  }
  const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
  const id = quoted ? quoted[1]!.replace(/\\(.)/g, "$1") : /^[^\s;()"]+/.exec(rest)?.[0];
  return id ? id.toLowerCase().replace(/\.$/, "") : null;
}

/**
 * RFC 8601 §5: an Authentication-Results field that arrives from outside
 * with our authserv-id is a forgery of our own verdict (only we write those,
 * on top of what we receive), so it is removed before the message is
 * stored. Takes the header section as received (bare LF line ends too, as
 * lib/mime/headers.ts reads them) and returns it without those fields, or
 * null when it holds none. Everything else is kept byte for byte.
 * X-Spam-* fields from outside go the same way: ours are written per copy
 * (lib/spam/verdict.ts), and a sender's "X-Spam-Status: No" must not sit
 * beside them for a mail client or a filter rule to believe.
 */
export function withoutForgedAuthResults(head: Buffer, hostname: string): Buffer | null {
  const ours = hostname.toLowerCase().replace(/\.$/, "");
  const parts = head.toString("latin1").split(/(\r?\n)/);
  // parts alternates line, line end, line, ...: group them into fields.
  const fields: { text: string; name: string }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i]!;
    const text = line + (parts[i + 1] ?? "");
    const last = fields.at(-1);
    if ((line[0] === " " || line[0] === "\t") && last) last.text += text;
    else fields.push({ text, name: line.slice(0, Math.max(line.indexOf(":"), 0)).trim() });
  }
  const kept = fields.filter((f) => {
    const name = f.name.toLowerCase();
    if (name.startsWith("x-spam-")) return false;
    return (
      name !== "authentication-results" ||
      authservIdOf(f.text.slice(f.text.indexOf(":") + 1)) !== ours
    );
  });
  if (kept.length === fields.length) return null;
  return Buffer.from(kept.map((f) => f.text).join(""), "latin1");
}
