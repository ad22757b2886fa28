// Checks for admin-only routes: a page answers 403 to a signed-in non-admin
// and sends an anonymous visitor to sign in; a server action captured from
// an admin's browser, replayed with a non-admin's cookies or none, is
// refused the same way (the caller then checks that nothing changed).
import assert from "node:assert/strict";
import type { BrowserContext, Page, Request, Route } from "playwright-core";
import { TEST_PASSWORD } from "./accounts.ts";

/**
 * Runs `act` (a click in the admin's page) but stops the server-action POST
 * it makes before it reaches the server, and returns it: replayed as a
 * non-admin it must change nothing, replayed by the admin (replayAction) it
 * must do what the click would have done. Reload the page afterwards.
 */
export async function interceptServerAction(
  page: Page,
  act: () => Promise<void>,
): Promise<Request> {
  let capture: (request: Request) => void = () => {};
  const captured = new Promise<Request>((resolve) => (capture = resolve));
  const handler = async (route: Route) => {
    const request = route.request();
    if (request.method() === "POST" && request.headers()["next-action"] !== undefined) {
      capture(request);
      await route.abort();
    } else {
      await route.continue();
    }
  };
  await page.route("**/*", handler);
  try {
    await act();
    return await captured;
  } finally {
    await page.unroute("**/*", handler);
  }
}

async function actionHeaders(request: Request): Promise<Record<string, string>> {
  const sent = await request.allHeaders();
  return Object.fromEntries(
    Object.entries(sent).filter(
      ([k]) => k.startsWith("next-") || k === "content-type" || k === "accept" || k === "origin",
    ),
  );
}

/** Sends a captured server-action request again with the context's cookies; returns the status. */
export async function replayAction(request: Request, as: BrowserContext): Promise<number> {
  const response = await as.request.post(new URL(request.url()).pathname, {
    headers: await actionHeaders(request),
    data: request.postDataBuffer() ?? Buffer.alloc(0),
    maxRedirects: 0,
  });
  return response.status();
}

/** A GET of an admin page: 403 for the non-admin, a redirect to /login for nobody. */
export async function assertPageAdminOnly(
  baseUrl: string,
  path: string,
  nonAdmin: BrowserContext,
): Promise<void> {
  const asUser = await nonAdmin.request.get(path, { maxRedirects: 0 });
  assert.equal(asUser.status(), 403, `${path} as a non-admin`);
  const anonymous = await fetch(`${baseUrl}${path}`, { redirect: "manual" });
  assert.ok([303, 307].includes(anonymous.status), `${path} anonymous: ${anonymous.status}`);
  assert.match(anonymous.headers.get("location") ?? "", /\/login$/, `${path} anonymous`);
}

/**
 * Replays an admin's server-action request as the non-admin (403) and with
 * no session (sent to sign-in); exactly the same body and action id.
 */
export async function assertActionAdminOnly(
  baseUrl: string,
  request: Request,
  nonAdmin: BrowserContext,
): Promise<void> {
  const path = new URL(request.url()).pathname;
  assert.equal(await replayAction(request, nonAdmin), 403, `action on ${path} as a non-admin`);
  await assertActionNeedsSession(baseUrl, request);
}

/** Replays a captured server-action request with no session: it is sent to sign-in. */
export async function assertActionNeedsSession(baseUrl: string, request: Request): Promise<void> {
  const path = new URL(request.url()).pathname;
  const anonymous = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: await actionHeaders(request),
    body: new Uint8Array(request.postDataBuffer() ?? Buffer.alloc(0)),
    redirect: "manual",
  });
  const redirect = anonymous.headers.get("x-action-redirect") ?? anonymous.headers.get("location");
  assert.match(redirect ?? "", /^\/login/, `action on ${path} anonymous: ${anonymous.status}`);
}

/**
 * Signs in through the form and returns once the browser is sent on (the
 * webmail page it lands on need not finish loading: admin tests go elsewhere).
 * Waits for React to hydrate the form first: on a loaded machine a click
 * before that submits the bare HTML form (a GET back to /login).
 */
export async function signInAs(
  page: Page,
  address: string,
  password = TEST_PASSWORD,
): Promise<void> {
  await page.goto("/login");
  await waitForHydration(page, "form");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Generous: argon2 verification on a shared, loaded machine can take long.
  const timeout = 90_000;
  const signedIn = page.waitForURL(/\/mail/, { waitUntil: "commit", timeout }).then(() => null);
  const refused = page
    .locator(".form-error")
    .waitFor({ timeout: timeout + 1000 })
    .then(() => page.locator(".form-error").textContent())
    .catch(() => null);
  const error = await Promise.race([signedIn, refused]);
  if (error) throw new Error(`sign-in as ${address} refused: ${error} (${page.url()})`);
}

/** Waits until React has hydrated the element (its event handlers are attached). */
export async function waitForHydration(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((css) => {
    const element = document.querySelector(css);
    return element !== null && Object.keys(element).some((key) => key.startsWith("__reactProps"));
  }, selector);
}
