// Receiving a message body: bytes are counted as they arrive, small
// messages stay in one buffer, larger ones go to a spool file, and an
// oversized one is drained to the end and dropped. Either way the message is
// held once, never whole in memory when it is large.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { SPOOL_MEMORY_BYTES } from "../config/limits.ts";

/** Bytes from the start of the message kept for header checks (Received count, List-Id, DKIM presence). */
export const HEAD_BYTES = 64 * 1024;

export type SpooledMessage = {
  /** Bytes received (after SMTP dot-unstuffing, RFC 5321 §4.5.2). */
  size: number;
  /** More than maxBytes arrived; nothing was kept. */
  tooLarge: boolean;
  /** The first HEAD_BYTES bytes (the whole message when it is shorter). */
  head: Buffer;
  /** The whole message when it was small enough to keep in memory. */
  memory: Buffer | null;
  /** The spool file otherwise. */
  file: string | null;
  /** A fresh stream over the whole message. */
  open(): Readable;
  /** Removes the spool file; safe to call more than once. */
  dispose(): Promise<void>;
};

export type SpoolOptions = {
  maxBytes: number;
  /** Folder for spool files; created when needed. */
  dir: string;
  memoryBytes?: number;
};

/** Reads `input` to its end. Rejects only when the spool file cannot be written. */
export async function spoolMessage(
  input: AsyncIterable<Buffer>,
  options: SpoolOptions,
): Promise<SpooledMessage> {
  const memoryLimit = options.memoryBytes ?? SPOOL_MEMORY_BYTES;
  let size = 0;
  let tooLarge = false;
  let chunks: Buffer[] = [];
  const headChunks: Buffer[] = [];
  let headSize = 0;
  let file: FileHandle | null = null;
  let filePath: string | null = null;

  const dropFile = async () => {
    await file?.close().catch(() => {});
    if (filePath) await rm(filePath, { force: true });
    file = null;
    filePath = null;
  };

  try {
    for await (const chunk of input) {
      size += chunk.length;
      if (tooLarge) continue; // RFC 5321 §4.5.3.1.10 / RFC 1870: read on, then refuse
      if (size > options.maxBytes) {
        tooLarge = true;
        chunks = [];
        await dropFile();
        continue;
      }
      if (headSize < HEAD_BYTES) {
        const part = chunk.subarray(0, HEAD_BYTES - headSize);
        headChunks.push(part);
        headSize += part.length;
      }
      if (file) {
        await file.write(chunk);
      } else if (size > memoryLimit) {
        await mkdir(options.dir, { recursive: true });
        filePath = path.join(options.dir, `${randomUUID()}.eml`);
        file = await open(filePath, "wx", 0o600);
        for (const earlier of chunks) await file.write(earlier);
        chunks = [];
        await file.write(chunk);
      } else {
        chunks.push(chunk);
      }
    }
    await file?.close();
    file = null;
  } catch (error) {
    await dropFile();
    throw error;
  }

  const memory =
    tooLarge || filePath ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  const head = memory ?? Buffer.concat(headChunks, headSize);
  const spooled: SpooledMessage = {
    size,
    tooLarge,
    head,
    memory,
    file: filePath,
    open() {
      if (this.memory) return Readable.from([this.memory]);
      if (this.file) return createReadStream(this.file, { highWaterMark: 256 * 1024 });
      return Readable.from([]);
    },
    async dispose() {
      if (this.file) await rm(this.file, { force: true });
    },
  };
  return spooled;
}

const SPOOL_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.eml$/;

/**
 * Removes spool files a previous process left when it died mid-transaction.
 * They are garbage: their clients never got a 250 and send again. Call at
 * start, before accepting connections; only our own file names are touched.
 */
export async function clearSpool(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => SPOOL_FILE.test(name));
  await Promise.all(stale.map((name) => rm(path.join(dir, name), { force: true })));
  return stale.length;
}
