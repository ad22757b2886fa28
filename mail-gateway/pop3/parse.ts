// POP3 wire format, pure (no sockets, no store): command lines and their
// arguments (validated with zod), SASL PLAIN responses, and the multi-line
// encoding of messages (RFC 1939 §3: CRLF lines, dot-stuffing, "." last).
import { z } from "zod";
import { findHeaderEnd } from "../../lib/mime/headers.ts";

export type CommandLine = { verb: string; args: string[] };

/**
 * A command line without its line end: a keyword and space-separated
 * arguments (RFC 1939 §3). Keywords are case-insensitive. Returns null for a
 * line that is not a command (empty, or a keyword that is not 3-4 letters).
 */
export function parseCommandLine(line: string): CommandLine | null {
  const parts = line.split(" ").filter((p) => p !== "");
  const verb = parts[0];
  if (!verb || !/^[A-Za-z]{3,4}$/.test(verb)) return null;
  return { verb: verb.toUpperCase(), args: parts.slice(1) };
}

// RFC 1939 §5: message numbers start at 1; 9 digits is far beyond any maildrop.
const messageNumber = z
  .string()
  .regex(/^\d{1,9}$/, "message number expected")
  .transform(Number)
  .pipe(z.number().int().min(1, "message numbers start at 1"));
const lineCount = z
  .string()
  .regex(/^\d{1,9}$/, "line count expected")
  .transform(Number);

const mechanism = z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, "mechanism name expected");

/**
 * Arguments of each command: for each number of arguments the command
 * takes, the schema of that form (RFC 1939 §5-7, RFC 5034 §4).
 */
export const COMMAND_ARGS = {
  USER: { 1: z.tuple([z.string().min(1).max(320, "name too long")]) },
  AUTH: { 0: z.tuple([]), 1: z.tuple([mechanism]), 2: z.tuple([mechanism, z.string()]) },
  LIST: { 0: z.tuple([]), 1: z.tuple([messageNumber]) },
  UIDL: { 0: z.tuple([]), 1: z.tuple([messageNumber]) },
  RETR: { 1: z.tuple([messageNumber]) },
  DELE: { 1: z.tuple([messageNumber]) },
  TOP: { 2: z.tuple([messageNumber, lineCount]) },
} as const;

type Forms<V extends keyof typeof COMMAND_ARGS> = (typeof COMMAND_ARGS)[V];
export type ArgsOf<V extends keyof typeof COMMAND_ARGS> = z.output<Forms<V>[keyof Forms<V>]>;

/** The command's arguments, or the reason they are wrong. */
export function parseArgs<V extends keyof typeof COMMAND_ARGS>(
  verb: V,
  args: string[],
): { ok: true; value: ArgsOf<V> } | { ok: false; reason: string } {
  const forms = COMMAND_ARGS[verb] as Record<number, z.ZodType | undefined>;
  const schema = forms[args.length];
  if (!schema) return { ok: false, reason: "wrong number of arguments" };
  const parsed = schema.safeParse(args);
  if (parsed.success) return { ok: true, value: parsed.data as ArgsOf<V> };
  return { ok: false, reason: parsed.error.issues[0]?.message ?? "invalid arguments" };
}

/** RFC 4648 base64 with padding, as RFC 5034 §4 requires; "=" is an empty response. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (text === "=") return Buffer.alloc(0);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  return Buffer.from(text, "base64");
}

/**
 * RFC 4616 PLAIN: authzid NUL authcid NUL passwd, UTF-8. An authorization
 * identity other than the login's own is refused (no proxy logins), so it
 * comes back as null like any malformed message.
 */
export function decodeSaslPlain(response: Buffer): { username: string; password: string } | null {
  const parts = response.toString("utf8").split("\0");
  if (parts.length !== 3) return null;
  const [authzid, username, password] = parts as [string, string, string];
  if (!username || !password) return null;
  if (authzid && authzid.toLowerCase() !== username.toLowerCase()) return null;
  return { username, password };
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const TERMINATOR = Buffer.from(".\r\n");

/**
 * A message as a POP3 multi-line response body (RFC 1939 §3): every line
 * ends in CRLF (a bare LF or CR in a malformed source becomes CRLF), lines
 * starting with "." get another one, and ".\r\n" ends it. A source stored
 * from SMTP already has CRLF lines, so what the client unstuffs is byte for
 * byte the stored source (plus a final CRLF when the source lacks one).
 */
export function encodeMultiline(source: Buffer): Buffer {
  if (isCleanForPop3(source)) {
    const ending = source.length === 0 || endsWithCrlf(source) ? [] : [Buffer.from("\r\n")];
    return Buffer.concat([source, ...ending, TERMINATOR]);
  }
  const out: Buffer[] = [];
  let start = 0;
  while (start < source.length) {
    let end = start;
    while (end < source.length && source[end] !== CR && source[end] !== LF) end++;
    if (source[start] === DOT) out.push(Buffer.from("."));
    out.push(source.subarray(start, end), Buffer.from("\r\n"));
    if (source[end] === CR && source[end + 1] === LF) end += 2;
    else end += 1;
    start = end;
  }
  out.push(TERMINATOR);
  return Buffer.concat(out);
}

/** Only CRLF line ends and no line starting with ".": the bytes can go out as they are. */
function isCleanForPop3(source: Buffer): boolean {
  if (source[0] === DOT) return false;
  for (let i = source.indexOf(LF); i !== -1; i = source.indexOf(LF, i + 1)) {
    if (source[i - 1] !== CR) return false;
    if (source[i + 1] === DOT) return false;
  }
  for (let i = source.indexOf(CR); i !== -1; i = source.indexOf(CR, i + 1)) {
    if (source[i + 1] !== LF) return false;
  }
  return true;
}

function endsWithCrlf(source: Buffer): boolean {
  return source.length >= 2 && source[source.length - 2] === CR && source[source.length - 1] === LF;
}

/**
 * RFC 1939 §7 TOP: the header, the blank line after it, then at most
 * `lines` lines of the body (a line ends at LF). A source without a blank
 * line is all header.
 */
export function topOf(source: Buffer, lines: number): Buffer {
  const headerEnd = findHeaderEnd(source);
  if (headerEnd === -1) return source;
  let end = headerEnd;
  for (let n = 0; n < lines && end < source.length; n++) {
    const lf = source.indexOf(LF, end);
    end = lf === -1 ? source.length : lf + 1;
  }
  return source.subarray(0, end);
}
