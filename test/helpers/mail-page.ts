// Locators of the mail page shared by browser tests.
import type { Page } from "playwright-core";

/** The list row whose subject is exactly `subject`. */
export const row = (page: Page, subject: string) =>
  page
    .getByTestId("message-row")
    .filter({ has: page.locator(".row-subject", { hasText: new RegExp(`^${subject}$`) }) });
export const folderLink = (page: Page, name: string) =>
  page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: new RegExp(`^${name}`) });
