// Framing of the client's byte stream into complete commands (RFC 3501
// §2.2): a command is a line, unless the line ends with a literal
// announcement {n} (synchronizing: the server says "+" first) or {n+}
// (RFC 7888 LITERAL+: no wait), in which case n octets and the rest of the
// command follow. Sizes are checked before anything is buffered: a line or
// literal over its limit is refused and never held in memory.
import { MAX_COMMAND_BYTES, MAX_COMMAND_LITERAL_BYTES, MAX_LINE_BYTES } from "./limits.ts";
import { readTag } from "./parse.ts";

export type ReaderEvent =
  /** One whole command (line, literals and continuation lines; no final CRLF). */
  | { kind: "command"; data: Buffer }
  /** A synchronizing literal was accepted: the client waits for "+". */
  | { kind: "continue" }
  /**
   * A command was refused before it was complete. `fatal`: the stream cannot
   * be followed any more (a non-synchronizing literal we will not read).
   */
  | { kind: "refused"; tag: string | null; reason: string; code: string | null; fatal: boolean };

const LF = 0x0a;
const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}\r?$/;

export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private literalRemaining = 0;
  private discardingLine = false;
  private stopped = false;

  /** @param maxAppendBytes largest message APPEND accepts (the service's message size limit). */
  constructor(private readonly maxAppendBytes: number) {}

  /** Drops whatever is buffered (after STARTTLS: nothing sent in plain text may count). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.parts = [];
    this.partsBytes = 0;
    this.literalRemaining = 0;
    this.discardingLine = false;
  }

  /** Stops framing for good (a fatal refusal). */
  stop(): void {
    this.stopped = true;
    this.reset();
  }

  push(chunk: Buffer): ReaderEvent[] {
    if (this.stopped) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: ReaderEvent[] = [];
    while (!this.stopped && this.buffer.length > 0) {
      if (this.literalRemaining > 0) {
        const take = Math.min(this.literalRemaining, this.buffer.length);
        this.parts.push(this.buffer.subarray(0, take));
        this.partsBytes += take;
        this.literalRemaining -= take;
        this.buffer = this.buffer.subarray(take);
        continue;
      }
      const lf = this.buffer.indexOf(LF);
      if (this.discardingLine) {
        if (lf === -1) {
          this.buffer = Buffer.alloc(0);
          break;
        }
        this.buffer = this.buffer.subarray(lf + 1);
        this.discardingLine = false;
        continue;
      }
      if (lf === -1) {
        if (this.buffer.length > MAX_LINE_BYTES) {
          events.push(this.refuse(`Line is longer than ${MAX_LINE_BYTES} bytes`, null, false));
          this.buffer = Buffer.alloc(0);
          this.discardingLine = true;
        }
        break;
      }
      if (lf > MAX_LINE_BYTES) {
        events.push(this.refuse(`Line is longer than ${MAX_LINE_BYTES} bytes`, null, false));
        this.buffer = this.buffer.subarray(lf + 1);
        continue;
      }
      const line = this.buffer.subarray(0, lf + 1);
      this.buffer = this.buffer.subarray(lf + 1);
      const event = this.takeLine(line);
      if (event) events.push(event);
    }
    return events;
  }

  private takeLine(lineWithLf: Buffer): ReaderEvent | null {
    const text = lineWithLf.toString("latin1", Math.max(0, lineWithLf.length - 32));
    const match = LITERAL_AT_END.exec(text.slice(0, -1));
    if (!match) {
      let end = lineWithLf.length - 1;
      if (end > 0 && lineWithLf[end - 1] === 0x0d) end--;
      this.parts.push(lineWithLf.subarray(0, end));
      const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      this.parts = [];
      this.partsBytes = 0;
      return { kind: "command", data };
    }
    // Normalise the line end to CRLF so the parser sees one form.
    const bare = lineWithLf[lineWithLf.length - 2] !== 0x0d;
    this.parts.push(
      bare ? Buffer.concat([lineWithLf.subarray(0, -1), Buffer.from("\r\n")]) : lineWithLf,
    );
    this.partsBytes += lineWithLf.length;
    const size = Number(match[1]);
    const synchronizing = match[2] !== "+";
    const first = this.parts[0]!;
    const isAppend = /^[^ ]+ APPEND /i.test(first.toString("latin1", 0, 80));
    const limit = isAppend ? this.maxAppendBytes : MAX_COMMAND_LITERAL_BYTES;
    if (size > limit || (!isAppend && this.partsBytes + size > MAX_COMMAND_BYTES)) {
      const tag = readTag(first);
      const reason = isAppend
        ? `Message of ${size} bytes is larger than the limit of ${limit} bytes`
        : `Literal of ${size} bytes is larger than the limit of ${limit} bytes`;
      // A synchronizing literal was never sent: the connection goes on. The
      // octets of a non-synchronizing one are on their way and will not be read.
      return this.refuse(reason, tag, !synchronizing, isAppend ? "TOOBIG" : null);
    }
    this.literalRemaining = size;
    return synchronizing ? { kind: "continue" } : null;
  }

  private refuse(
    reason: string,
    tag: string | null,
    fatal: boolean,
    code: string | null = null,
  ): ReaderEvent {
    this.parts = [];
    this.partsBytes = 0;
    this.literalRemaining = 0;
    if (fatal) this.stop();
    return { kind: "refused", tag, reason, code, fatal };
  }
}
