// Two-step sign-in in the browser: codes computed here with otpauth from the
// secret the Security page shows (RFC 6238, independently of lib/auth/totp.ts),
// the password step that stops at /login/verify, and the code step.
import type { Browser, Page } from "playwright-core";
import { Secret, TOTP } from "otpauth";
import { TEST_PASSWORD } from "./accounts.ts";
import { waitForHydration } from "./admin-access.ts";
import { newContext } from "./browser.ts";
import { SLOW_TIMEOUT_MS } from "./admin.ts";

/** The authenticator's code for now plus `steps` 30-second steps. */
export function authenticatorCode(secret: string, steps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

export async function newPage(browser: Browser, baseUrl: string): Promise<Page> {
  const context = await newContext(browser, baseUrl);
  context.setDefaultTimeout(SLOW_TIMEOUT_MS);
  return context.newPage();
}

/** The password step of an account with two-step on: resolves on the second step's page. */
export async function passwordStep(page: Page, address: string, password = TEST_PASSWORD) {
  await page.goto("/login");
  await waitForHydration(page, "form");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/login\/verify$/);
  await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
  await waitForHydration(page, "form");
}

/** Types a code on the second step's page and submits it; resolves once the server answered. */
export async function submitCode(page: Page, code: string): Promise<void> {
  await page.getByLabel("Code", { exact: true }).fill(code);
  const answered = page.waitForResponse((r) => r.url().includes("/api/auth/callback/second-step"));
  await page.getByRole("button", { name: "Verify" }).click();
  await answered;
}

/** The form's error after a refused code. */
export async function refusal(page: Page): Promise<string> {
  const alert = page.locator(".form-error");
  await alert.waitFor();
  return (await alert.textContent()) ?? "";
}
