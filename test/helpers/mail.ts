// Test mail for the webmail: MIME built by nodemailer's composer (as a real
// sender would), stored through the same lib path as inbound SMTP
// (parseMessage -> storeDelivery), plus browser helpers (sign-in, axe-core).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { FrameLocator, Page } from "playwright-core";
import { parseMessage } from "../../lib/mime/parse-message.ts";
import { storeDelivery, type StoredCopy } from "../../lib/store/deliver.ts";
import { TEST_PASSWORD } from "./accounts.ts";

export type TestMail = {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  text?: string;
  html?: string;
  date?: Date;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  attachments?: {
    filename?: string;
    content: string | Buffer;
    contentType?: string;
    cid?: string;
    contentDisposition?: "attachment" | "inline";
  }[];
};

/** RFC 5322 bytes of a message, as nodemailer would send it. */
export async function buildMail(mail: TestMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from ?? "Alice Sender <alice@example.org>",
    to: mail.to ?? "someone@mail.test",
    cc: mail.cc,
    subject: mail.subject ?? "Hello",
    text: mail.text,
    html: mail.html,
    date: mail.date ?? new Date(),
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    attachments: mail.attachments,
  });
  return composer.compile().build();
}

/** Stores raw bytes into the accounts' Inboxes the way the SMTP gateway does. */
export async function deliverRaw(
  accountIds: string[],
  raw: Buffer,
  receivedAt = new Date(),
): Promise<StoredCopy[]> {
  const parsed = await parseMessage(raw);
  return storeDelivery({
    receivedAt,
    sources: [
      {
        bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
        parsed,
        accountIds,
        outbound: [],
      },
    ],
  });
}

/** Builds and delivers one message; returns the account's copy. */
export async function deliverMail(
  accountId: string,
  mail: TestMail,
  receivedAt?: Date,
): Promise<StoredCopy> {
  const [copy] = await deliverRaw([accountId], await buildMail(mail), receivedAt);
  return copy!;
}

export async function signIn(page: Page, address: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/mail/);
}

// A 1x1 PNG.
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** The natural width of the image `selector` in `frame` once loaded (0: not loaded in 5 s). */
export async function loadedImageWidth(
  page: Page,
  frame: FrameLocator,
  selector: string,
): Promise<number> {
  const width = () =>
    frame
      .locator(selector)
      .evaluate((img) =>
        (img as HTMLImageElement).complete ? (img as HTMLImageElement).naturalWidth : 0,
      );
  for (let i = 0; i < 50 && !(await width()); i++) await page.waitForTimeout(100);
  return width();
}

/** Waits until the page's live-update stream is listening. */
export async function waitForLive(page: Page): Promise<void> {
  await page.locator('.mail-app[data-live="ready"]').waitFor();
}

const axeSource = readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
};

/** Every axe-core violation on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: await axeSource });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown }[];
    }[];
  });
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  return (await axeViolations(page)).filter(
    (v) => v.impact === "serious" || v.impact === "critical",
  );
}
