// Single sign-on in Chromium against a real OpenID provider the test starts
// (npm oidc-provider, on a free port, with its development login and consent
// pages): the full authorization-code flow (PKCE, state) from the sign-in
// page's button to the user's mailbox; an existing account is matched by
// its verified address, a new one is made on first sign-in when the domain
// allows it, and an unverified address or another domain's is refused.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Page } from "playwright-core";
import Provider from "oidc-provider";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { getFreePort } from "../helpers/net.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const providerPort = await getFreePort();
const issuer = `http://127.0.0.1:${providerPort}`;
const web = await startWebServer({
  DATABASE_URL: databaseUrl,
  OIDC_PROVIDERS: JSON.stringify([
    { domain: "corp.test", issuer, clientId: "mail", clientSecret: "s3cret", createAccounts: true },
  ]),
});
const browser = await launchBrowser();

// The provider's users: the login typed on its page is the address; one
// whose login starts with "unverified" has email_verified false.
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "mail",
      client_secret: "s3cret",
      redirect_uris: [`${web.url}/api/auth/callback/oidc-corp-test`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false,
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({
      sub: id,
      email: id.replace(/^unverified-/, ""),
      email_verified: !id.startsWith("unverified-"),
      name: "Corp User",
    }),
  }),
});
const server = provider.listen(providerPort, "127.0.0.1");
after(() => server.close());

/** Signs in at the provider through the sign-in page's button; resolves with where the browser ends up. */
async function signInWithProvider(page: Page, login: string): Promise<URL> {
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with corp.test single sign-on" }).click();
  await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === web.url, { timeout: 60_000 });
  await page.waitForLoadState("domcontentloaded");
  return new URL(page.url());
}

test("an existing account signs in at its domain's provider and lands in its mailbox", async () => {
  const account = await makeAccount("dana", { domain: "corp.test" });
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const landed = await signInWithProvider(page, "dana@corp.test");
  assert.equal(landed.pathname, "/mail");
  await page.getByTestId("signed-in-as").waitFor();
  assert.match(await page.getByTestId("signed-in-as").innerText(), /dana/);
  const sessions = await db.webSession.count({ where: { accountId: account.id } });
  assert.equal(sessions, 1);
  await context.close();
});

test("a new verified address gets an account on first sign-in; unverified and other domains are refused", async () => {
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  assert.equal((await signInWithProvider(page, "newbie@corp.test")).pathname, "/mail");
  const made = await db.account.findUniqueOrThrow({ where: { address: "newbie@corp.test" } });
  assert.equal(made.displayName, "Corp User");
  await context.close();

  await makeAccount("victim");
  for (const login of ["unverified-eve@corp.test", "victim@mail.test"]) {
    const other = await newContext(browser, web.url);
    other.setDefaultTimeout(60_000);
    const refused = await signInWithProvider(await other.newPage(), login);
    assert.equal(refused.pathname, "/login", login);
    assert.equal(
      await db.webSession.count({
        where: { account: { address: login.replace(/^unverified-/, "") } },
      }),
      0,
    );
    await other.close();
  }
  assert.equal(await db.account.count({ where: { address: "eve@corp.test" } }), 0);
});
