// Checks for admin-only routes: a page answers 403 to a signed-in non-admin
// and sends an anonymous visitor to sign in; a server action captured from
// an admin's browser, replayed with a non-admin's cookies or none, is
// refused the same way (the caller then checks that nothing changed).
import assert from "node:assert/strict";
import type { BrowserContext, Page, Request } from "playwright-core";

/** The next server-action POST the page makes (start waiting before the click). */
export function nextServerAction(page: Page): Promise<Request> {
  return page.waitForRequest(
    (r) => r.method() === "POST" && r.headers()["next-action"] !== undefined,
  );
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
  const sent = await request.allHeaders();
  const headers = Object.fromEntries(
    Object.entries(sent).filter(
      ([k]) => k.startsWith("next-") || k === "content-type" || k === "accept" || k === "origin",
    ),
  );
  const body = request.postDataBuffer() ?? Buffer.alloc(0);
  const path = new URL(request.url()).pathname;
  const asUser = await nonAdmin.request.post(path, { headers, data: body, maxRedirects: 0 });
  assert.equal(asUser.status(), 403, `action on ${path} as a non-admin`);
  const anonymous = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers,
    body: new Uint8Array(body),
    redirect: "manual",
  });
  const redirect = anonymous.headers.get("x-action-redirect") ?? anonymous.headers.get("location");
  assert.match(redirect ?? "", /^\/login/, `action on ${path} anonymous: ${anonymous.status}`);
}
