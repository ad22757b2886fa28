// One attachment's decoded bytes, found in the raw message again. Parsing
// (parse-message.ts) only counts attachments, so the raw message stays the one
// copy of them; this walks the message with the same parser settings, which
// yields attachments in the same order, so an Attachment row's index finds
// its part.
import { MailParser, type AttachmentStream, type MessageText } from "mailparser";

/** The decoded content of the index-th attachment, or null when there is none. */
export function extractAttachment(raw: Buffer, index: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
    });
    let seen = 0;
    let found: Buffer | null = null;
    let pending = 0;
    let ended = false;
    const finish = () => {
      if (ended && pending === 0) resolve(found);
    };
    parser.on("data", (part: AttachmentStream | MessageText) => {
      if (part.type === "text") return;
      const position = seen++;
      pending++;
      const chunks: Buffer[] = [];
      part.content.on("data", (chunk: Buffer) => {
        if (position === index) chunks.push(chunk);
      });
      part.content.on("end", () => {
        if (position === index) found = Buffer.concat(chunks);
        pending--;
        finish();
      });
      part.content.on("error", reject);
      part.release();
    });
    parser.on("error", (error: Error) => {
      // Same tolerance as parse-message.ts: HTML conversion trouble is not fatal.
      if (!/^(HTML too long for parsing|Failed to parse HTML)/.test(error.message)) reject(error);
    });
    parser.on("end", () => {
      ended = true;
      finish();
    });
    parser.end(raw);
  });
}
