// Chromium driven by Playwright. The browser is Debian's /usr/bin/chromium
// (Playwright's own download does not work here); CHROMIUM_PATH overrides.
import { after } from "node:test";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
  });
  after(() => browser.close());
  return browser;
}

export async function newContext(
  browser: Browser,
  baseURL: string,
  options: Parameters<Browser["newContext"]>[0] = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, ...options });
  context.setDefaultTimeout(15_000);
  return context;
}
