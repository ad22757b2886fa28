// The webmail's message list in Chromium.
import type { Page } from "playwright-core";

/** Waits until the list shows exactly these subjects, in this order. */
export async function waitForSubjects(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(
    (want) =>
      JSON.stringify([...document.querySelectorAll(".row-subject")].map((n) => n.textContent)) ===
      JSON.stringify(want),
    expected,
  );
}
