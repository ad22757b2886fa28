// FETCH data from a stored source (RFC 3501 §6.4.5, §7.4.2): ENVELOPE and
// BODYSTRUCTURE as response values, and the bytes of a BODY[<section>],
// all cut from the raw message at the offsets lib/mime found.
import {
  buildEnvelope,
  findPart,
  parseMimeStructure,
  type ContentParams,
  type Envelope,
  type EnvelopeAddress,
  type MimePart,
} from "../../lib/mime/mime-structure.ts";
import type { Section } from "./parse.ts";
import { atom, type ImapValue } from "./write.ts";

function params(list: ContentParams): ImapValue {
  if (list.length === 0) return null;
  return list.flatMap(([name, value]) => [name.toUpperCase(), value]);
}

function addresses(list: EnvelopeAddress[]): ImapValue {
  if (list.length === 0) return null;
  return list.map((a): ImapValue => {
    if (a.kind === "group-start") return [null, null, a.name, null];
    if (a.kind === "group-end") return [null, null, null, null];
    return [a.name, a.route ?? null, a.mailbox, a.host];
  });
}

export function envelopeValue(envelope: Envelope): ImapValue {
  return [
    envelope.date,
    envelope.subject,
    addresses(envelope.from),
    addresses(envelope.sender),
    addresses(envelope.replyTo),
    addresses(envelope.to),
    addresses(envelope.cc),
    addresses(envelope.bcc),
    envelope.inReplyTo,
    envelope.messageId,
  ];
}

/** BODYSTRUCTURE (extended) or BODY (basic) of a part. */
export function bodyStructureValue(part: MimePart, extended: boolean): ImapValue {
  if (part.type === "multipart" && part.children.length > 0) {
    const out: ImapValue[] = part.children.map((child) => bodyStructureValue(child, extended));
    out.push(part.subtype.toUpperCase());
    if (extended) out.push(params(part.params), disposition(part), language(part), part.location);
    return out;
  }
  // A multipart without readable parts is shown as one opaque part of that type.
  const size = part.end - part.bodyStart;
  const out: ImapValue[] = [
    part.type.toUpperCase(),
    part.subtype.toUpperCase(),
    params(part.params),
    part.id,
    part.description,
    part.encoding.toUpperCase(),
    size,
  ];
  if (part.type === "message" && part.message && part.subtype === "rfc822") {
    out.push(
      envelopeValue(buildEnvelope(part.message.fields)),
      bodyStructureValue(part.message, extended),
      part.lines,
    );
  } else if (part.type === "text") {
    out.push(part.lines);
  }
  if (extended) out.push(part.md5, disposition(part), language(part), part.location);
  return out;
}

function disposition(part: MimePart): ImapValue {
  if (!part.disposition || !part.disposition.type) return null;
  return [part.disposition.type.toUpperCase(), params(part.disposition.params)];
}

function language(part: MimePart): ImapValue {
  if (!part.language || part.language.length === 0) return null;
  return part.language.length === 1 ? part.language[0]! : part.language;
}

/** "BODY[1.HEADER.FIELDS (From To)]" as the response names it. */
export function sectionName(section: Section): string {
  const parts: string[] = section.path.map(String);
  if (section.text) {
    let text: string = section.text;
    if (section.fields.length > 0) text += ` (${section.fields.map(quoteField).join(" ")})`;
    parts.push(text);
  }
  return parts.join(".");
}

function quoteField(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !/[(){%*"\\\]]/.test(name)
    ? name
    : `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The bytes a section names, or an empty buffer when the part does not exist (RFC 3501 §6.4.5). */
export function sectionBytes(raw: Buffer, root: MimePart, section: Section): Buffer {
  const part = findPart(root, section.path);
  if (!part) return Buffer.alloc(0);
  // HEADER and TEXT of a part number are those of the enclosed message/rfc822.
  const message = section.path.length === 0 ? root : part.message;
  switch (section.text) {
    case null:
      return section.path.length === 0 ? raw : raw.subarray(part.bodyStart, part.end);
    case "MIME":
      return raw.subarray(part.headerStart, part.bodyStart);
    case "TEXT":
      return message ? raw.subarray(message.bodyStart, message.end) : Buffer.alloc(0);
    case "HEADER":
      return message ? raw.subarray(message.headerStart, message.bodyStart) : Buffer.alloc(0);
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT":
      return message
        ? headerFields(
            raw.subarray(message.headerStart, message.bodyStart),
            section.fields,
            section.text === "HEADER.FIELDS.NOT",
          )
        : Buffer.alloc(0);
  }
}

/**
 * The named fields of a header block as they are on the wire (folds
 * kept), followed by the empty line (RFC 3501 §6.4.5: it is part of it).
 */
export function headerFields(header: Buffer, names: string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const text = header.toString("latin1");
  const lines = text.split(/(?<=\n)/);
  let out = "";
  let keep = false;
  for (const line of lines) {
    if (line === "\r\n" || line === "\n") break;
    if (line[0] === " " || line[0] === "\t") {
      if (keep) out += line;
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : "";
    keep = name !== "" && wanted.has(name) !== not;
    if (keep) out += line.endsWith("\n") ? line : `${line}\r\n`;
  }
  return Buffer.from(`${out}\r\n`, "latin1");
}

/** Parses the source once per message, however many items want its structure. */
export class StructureCache {
  private root: MimePart | null = null;
  constructor(readonly raw: Buffer) {}
  get structure(): MimePart {
    this.root ??= parseMimeStructure(this.raw);
    return this.root;
  }
}

export const NIL_ATOM = atom("NIL");
