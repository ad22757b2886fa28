// The web app as people see it, in Chromium against the production build:
// at a phone's size (390×844) the webmail header keeps Sign out and a
// search box one can tap and type in, and the settings and admin pages fit
// the screen; and no page draws its icons with emoji or symbol characters
// (Debian's Chromium has no emoji font: they showed as empty boxes), while
// the SVG icons that replace them render, with their accessible names.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn, waitForLive } from "../helpers/mail.ts";
import { composer } from "../helpers/compose.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const admin = await makeAccount("chief", { role: "ADMIN" });
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
for (const path of ["/login", "/mail", "/settings", "/admin"]) await fetch(`${web.url}${path}`);

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const ADMIN_PAGES = [
  "/admin",
  "/admin/users",
  `/admin/users/${admin.id}`,
  "/admin/domains",
  "/admin/aliases",
  "/admin/queue",
  "/admin/audit",
  "/admin/settings",
  "/admin/invites",
];

async function session(address: string, options: Parameters<typeof newContext>[2] = {}) {
  const context = await newContext(browser, web.url, options);
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, address);
  return { context, page };
}

type Box = { x: number; y: number; width: number; height: number };

/** Where the element is, and whether a tap at its centre reaches it (nothing covers it). */
async function tapTarget(page: Page, locator: ReturnType<Page["locator"]>) {
  await locator.waitFor();
  const box = (await locator.boundingBox()) as Box;
  const reached = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
  return { box, reached };
}

function assertOnScreen(name: string, { box, reached }: { box: Box; reached: boolean }) {
  const width = PHONE.viewport.width;
  assert.ok(
    box.x >= 0 && box.x + box.width <= width + 0.5,
    `${name} within the width: ${box.x}+${box.width}`,
  );
  assert.ok(box.y >= 0 && box.y + box.height <= PHONE.viewport.height, `${name} within the height`);
  assert.ok(box.height >= 40, `${name} tall enough to tap: ${box.height}px`);
  assert.ok(reached, `${name} is not covered`);
}

/**
 * Visible controls and text blocks that reach past the right edge of the
 * screen (cut off, or scrolling the page sideways). Cells of a wide table
 * may scroll inside their page and are not counted.
 */
function pastTheEdge(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(
      "a, button, input, select, textarea, label, h1, h2, p, dt, dd, nav, main, header, form",
    )) {
      if (el.closest("table") || el.closest(".visually-hidden")) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) {
        out.push(
          `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").trim().slice(0, 30)}" ${Math.round(r.left)}..${Math.round(r.right)}`,
        );
      }
    }
    if (document.documentElement.scrollWidth > width)
      out.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px`);
    return out;
  });
}

test("at 390×844 the mail header keeps Sign out and a search box one can tap and type in", async () => {
  await deliverMail(admin.id, { to: admin.address, subject: "Quarterly figures", text: "Numbers" });
  const { page, context } = await session(admin.address, PHONE);
  await waitForLive(page);
  const header = page.locator(".mail-top");
  const signOut = header.getByRole("button", { name: "Sign out" });
  const search = header.getByRole("searchbox", { name: "Search mail" });
  assertOnScreen("Sign out", await tapTarget(page, signOut));
  const box = await tapTarget(page, search);
  assertOnScreen("the search box", box);
  assert.ok(box.box.width >= 300, `the search box is wide enough to type in: ${box.box.width}px`);
  for (const name of ["New message", "Outbox", "Folders"]) {
    assertOnScreen(name, await tapTarget(page, header.getByRole("button", { name, exact: true })));
  }
  assertOnScreen("Settings", await tapTarget(page, header.getByRole("link", { name: "Settings" })));
  assert.deepEqual(await pastTheEdge(page), []);
  // The list's own controls are touch-sized too (WCAG 2.5.8 asks 24 px).
  const small = await page.evaluate(() =>
    [...document.querySelectorAll(".toolbar button, .toolbar select, .flag-button, .row-check")]
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.width < 24 || r.height < 24)
      .map((r) => `${Math.round(r.width)}×${Math.round(r.height)}`),
  );
  assert.deepEqual(small, [], "list controls large enough to tap");

  await search.tap();
  await page.keyboard.type("quarterly");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Search results" }).waitFor();
  await page.getByTestId("message-row").filter({ hasText: "Quarterly figures" }).waitFor();

  // And Sign out does sign out when tapped.
  await signOut.tap();
  await page.waitForURL(/\/login/);
  await context.close();
});

test("at 390×844 the settings, admin and sign-in pages fit the screen, Sign out in reach", async () => {
  const signedOut = await newContext(browser, web.url, PHONE);
  const outPage = await signedOut.newPage();
  for (const path of ["/login", "/signup"]) {
    await outPage.goto(path);
    await outPage.getByRole("heading", { level: 1 }).waitFor();
    assert.deepEqual(await pastTheEdge(outPage), [], path);
  }
  await signedOut.close();

  const { page, context } = await session(admin.address, PHONE);
  for (const path of ["/settings", ...ADMIN_PAGES]) {
    await page.goto(path);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    assertOnScreen(
      `Sign out on ${path}`,
      await tapTarget(page, page.getByRole("button", { name: "Sign out" })),
    );
    assert.deepEqual(await pastTheEdge(page), [], path);
    if (path.startsWith("/admin")) {
      const main = (await page.locator(".admin-main").boundingBox()) as Box;
      assert.ok(main.width >= 360, `${path}: the page gets the screen's width (${main.width}px)`);
    }
  }
  await context.close();
});

// Emoji and symbol characters (arrows, technical and miscellaneous symbols,
// dingbats, pictographs, the emoji variation selector): they need a font
// that has them. General punctuation (… “ ” — ·) is plain text and allowed.
const SYMBOL_CHARS = String.raw`[\p{Extended_Pictographic}\p{Emoji_Presentation}\u2190-\u21ff\u2200-\u23ff\u2460-\u27bf\u2900-\u2bff\ufe0f]`;

/** Visible text (text nodes, ::before/::after content, placeholders) with symbol characters. */
function symbolText(page: Page): Promise<string[]> {
  return page.evaluate((pattern) => {
    const symbol = new RegExp(pattern, "u");
    // No named functions in here: tsx would wrap them in a helper the page lacks.
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(parent.tagName)) continue;
      const shown =
        parent.getClientRects().length > 0 && getComputedStyle(parent).visibility !== "hidden";
      if (shown && symbol.test(node.textContent ?? "")) {
        out.push(`${parent.tagName.toLowerCase()}: ${node.textContent!.trim().slice(0, 40)}`);
      }
    }
    for (const el of document.querySelectorAll("*")) {
      for (const pseudo of ["::before", "::after"]) {
        const content = getComputedStyle(el, pseudo).content;
        if (content && content !== "none" && symbol.test(content))
          out.push(`${pseudo}: ${content}`);
      }
      const placeholder = el.getAttribute("placeholder");
      if (placeholder && symbol.test(placeholder)) out.push(`placeholder: ${placeholder}`);
    }
    return out;
  }, SYMBOL_CHARS);
}

/** Every visible SVG icon's size; none may be empty. */
function iconSizes(page: Page): Promise<{ name: string; width: number; height: number }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("svg.icon")]
      .filter((svg) => svg.getClientRects().length > 0)
      .map((svg) => {
        const r = svg.getBoundingClientRect();
        return { name: svg.getAttribute("class") ?? "", width: r.width, height: r.height };
      }),
  );
}

async function assertIconsDrawn(page: Page, where: string, expected: string[]) {
  assert.deepEqual(await symbolText(page), [], `${where}: text drawn with symbol characters`);
  const sizes = await iconSizes(page);
  for (const icon of sizes) {
    assert.ok(
      icon.width >= 10 && icon.height >= 10,
      `${where}: ${icon.name} is ${icon.width}×${icon.height}`,
    );
  }
  const names = new Set(sizes.map((s) => s.name.replace("icon icon-", "")));
  for (const name of expected) assert.ok(names.has(name), `${where}: the ${name} icon is shown`);
}

test("no page draws icons with emoji or symbol characters; the SVG icons render with their names", async () => {
  const { messageId } = await deliverMail(admin.id, {
    from: "Bob <bob@example.org>",
    to: admin.address,
    subject: "With a file",
    text: "See the file",
    attachments: [{ filename: "plan.txt", content: "the plan" }],
  });
  await deliverMail(admin.id, { to: admin.address, subject: "Not flagged", text: "Plain" });
  await db.message.update({
    where: { accountId_id: { accountId: admin.id, id: messageId } },
    data: { flagged: true },
  });

  const signedOut = await newContext(browser, web.url);
  const outPage = await signedOut.newPage();
  for (const path of ["/login", "/signup"]) {
    await outPage.goto(path);
    await outPage.getByRole("heading", { level: 1 }).waitFor();
    await assertIconsDrawn(outPage, path, []);
  }
  await signedOut.close();

  const { page, context } = await session(admin.address);
  await page.getByTestId("message-row").first().waitFor();
  await assertIconsDrawn(page, "inbox", ["settings", "flag", "flagOutline", "attachment"]);
  await page.getByRole("link", { name: "Settings" }).waitFor();
  // What the button shows, not only its name: a flex button drops the space
  // that starts a child's text, and once showed "Newmessage".
  const shown = await page.getByRole("button", { name: "New message", exact: true }).innerText();
  assert.equal(shown.replace(/\n/g, "").replace(/\u00a0/g, " "), "New message");
  await page.getByRole("button", { name: "Unflag: With a file" }).waitFor();
  await page.getByText(", has attachments").first().waitFor({ state: "attached" });

  await page.goto(`/mail?m=${messageId}`);
  await page.getByRole("heading", { name: "With a file" }).waitFor();
  await page.getByRole("button", { name: "Reply", exact: true }).click();
  const panel = composer(page);
  await panel.getByTestId("recipient-chip").first().waitFor();
  await panel.getByRole("button", { name: "Bold" }).waitFor();
  await assertIconsDrawn(page, "composer", [
    "close",
    "bulletList",
    "numberedList",
    "quote",
    "link",
    "image",
  ]);
  for (const name of [
    "Close and save draft",
    "Remove bob@example.org",
    "Bulleted list",
    "Numbered list",
    "Quote",
    "Link",
    "Insert image",
  ]) {
    await panel.getByRole("button", { name, exact: true }).waitFor();
  }
  await panel.getByRole("button", { name: "Close and save draft" }).click();

  // Narrow: the folder menu button and the way back to the list.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Back to Inbox" }).waitFor();
  await assertIconsDrawn(page, "message (narrow)", ["menu", "back"]);
  await page.getByRole("button", { name: "Folders" }).waitFor();
  await page.setViewportSize({ width: 1280, height: 800 });

  for (const path of ["/settings", ...ADMIN_PAGES]) {
    await page.goto(path);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await assertIconsDrawn(
      page,
      path,
      path === "/settings" || path.includes(admin.id) ? ["back"] : [],
    );
  }
  await page.goto("/settings");
  await page.getByRole("link", { name: "Back to mail" }).waitFor();
  await context.close();
});
