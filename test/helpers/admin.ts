// Browser sessions for the admin dashboard tests: signed-in contexts with
// timeouts sized for a loaded 2-core machine, their cookies for plain HTTP
// requests, and replay of a captured server action's POST
// (admin-access.ts interceptServerAction captures it).
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { signInAs } from "./admin-access.ts";
import { newContext } from "./browser.ts";
import { TEST_PASSWORD } from "./accounts.ts";
import { RawSmtpClient, type Reply } from "./smtp-harness.ts";

export const SLOW_TIMEOUT_MS = 60_000;

export type Session = { context: BrowserContext; page: Page };

/** Signs in on the login form (signInAs); resolves once the mail page is reached. */
export async function signInSession(
  browser: Browser,
  baseUrl: string,
  address: string,
  password = TEST_PASSWORD,
): Promise<Session> {
  const context = await newContext(browser, baseUrl);
  context.setDefaultTimeout(SLOW_TIMEOUT_MS);
  const page = await context.newPage();
  await signInAs(page, address, password);
  await page.waitForURL(/\/mail/);
  return { context, page };
}

export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/** Sends a captured server action POST again, with other cookies (or none). */
export async function replaySubmission(
  request: Request,
  origin: string,
  cookie?: string,
): Promise<Response> {
  const headers = request.headers();
  return fetch(request.url(), {
    method: "POST",
    redirect: "manual",
    headers: {
      "next-action": headers["next-action"]!,
      "content-type": headers["content-type"]!,
      origin,
      ...(cookie ? { cookie } : {}),
    },
    body: new Uint8Array(request.postDataBuffer()!),
  });
}

/** A submission session after STARTTLS and AUTH PLAIN; the AUTH reply says whether it worked. */
export async function submissionSession(
  port: number,
  address: string,
  password = TEST_PASSWORD,
): Promise<{ client: RawSmtpClient; auth: Reply }> {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example");
  await client.startTls();
  await client.command("EHLO client.example");
  const token = Buffer.from(`\u0000${address}\u0000${password}`).toString("base64");
  return { client, auth: await client.command(`AUTH PLAIN ${token}`) };
}
