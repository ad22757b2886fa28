// The webmail in Chromium for composer tests: a signed-in, live mail page
// with timeouts sized for a loaded machine, and locators for the composer
// and message rows.
import type { Browser, Page } from "playwright-core";
import { newContext } from "./browser.ts";
import { signIn, waitForLive } from "./mail.ts";

export async function openMail(browser: Browser, baseUrl: string, address: string) {
  const context = await newContext(browser, baseUrl);
  // Sign-in (argon2) and first page loads are slow when the machine is busy.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, address);
  await waitForLive(page);
  return { page, context };
}

/** The open composer panel. */
export const composer = (page: Page) =>
  page.getByRole("dialog").filter({ has: page.getByText("Send", { exact: true }) });

/** Rows of the message list with `subject`. */
export const messageRow = (page: Page, subject: string) =>
  page.getByTestId("message-row").filter({ hasText: subject });
