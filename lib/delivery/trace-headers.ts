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
