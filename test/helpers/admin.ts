// Browser sessions for the admin dashboard tests: signed-in contexts with
// timeouts sized for a loaded 2-core machine, their cookies for plain HTTP
// requests, and capture/replay of a server action's POST.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { newContext } from "./browser.ts";
import { TEST_PASSWORD } from "./accounts.ts";
import { RawSmtpClient, type Reply } from "./smtp-harness.ts";

export const SLOW_TIMEOUT_MS = 60_000;

export type Session = { context: BrowserContext; page: Page };

/** Signs in on the login form; resolves once the mail page is reached. */
export async function signInSession(
  browser: Browser,
  baseUrl: string,
  address: string,
  password = TEST_PASSWORD,
): Promise<Session> {
  const context = await newContext(browser, baseUrl);
  context.setDefaultTimeout(SLOW_TIMEOUT_MS);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/mail/);
  return { context, page };
}

export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/**
 * Submits a form in the browser but stops the server action's request
 * before it leaves, and returns it: the exact POST (action id, body)
 * someone else would have to forge.
 */
export async function captureSubmission(page: Page, submit: () => Promise<void>): Promise<Request> {
  let captured: Request | undefined;
  const pattern = "**/admin/**";
  await page.route(pattern, async (route) => {
    if (route.request().method() === "POST" && route.request().headers()["next-action"]) {
      captured = route.request();
      return route.abort();
    }
    return route.continue();
  });
  await submit();
  const started = Date.now();
  while (!captured && Date.now() - started < SLOW_TIMEOUT_MS) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.unroute(pattern);
  assert.ok(captured, "no server action request was made");
  return captured;
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
