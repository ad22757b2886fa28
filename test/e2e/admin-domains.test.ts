// The Domains and Settings sections in Chromium against the production
// build: a new domain's DNS records (its DKIM record verified against a real
// signature with mailauth, answering DNS from what the page shows), catch-all,
// signup, removal rules; service settings taking effect where they apply
// (the signup page, the gateway's SIZE, send limits, new accounts' quota).
import assert from "node:assert/strict";
import { test } from "node:test";
import { dkimVerify } from "mailauth";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { RawSmtpClient, startTestGateway } from "../helpers/smtp-harness.ts";
import { signInSession, submissionSession } from "../helpers/admin.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { signWithDomainKey } = await import("../../lib/dkim/sign.ts");
const { deleteAccount } = await import("../../lib/accounts/manage.ts");
const { createStaticResolver, toMailauthResolver } = await import("../../lib/dns/resolver.ts");
const [web, browser, gateway] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
  startTestGateway({ relay: false }),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });
const { page, context } = await signInSession(browser, web.url, admin.address);
await context.grantPermissions(["clipboard-read", "clipboard-write"]);

const domainSection = (name: string) => page.getByRole("region", { name });

/** The DNS records of a domain as the page shows them: [purpose, type, name, value]. */
async function shownRecords(name: string): Promise<Map<string, { name: string; value: string }>> {
  const rows = domainSection(name).getByRole("table").locator("tbody tr");
  const records = new Map<string, { name: string; value: string }>();
  for (const row of await rows.all()) {
    records.set((await row.getAttribute("data-record"))!, {
      name: (await row.locator(".record-name").textContent())!,
      value: (await row.locator(".record-value").textContent())!,
    });
  }
  return records;
}

function message(domain: string): Buffer {
  return Buffer.from(
    `From: Sender <sender@${domain}>\r\nTo: someone@remote.test\r\nSubject: Signed by ${domain}\r\n` +
      `Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <dkim-${Date.now()}@${domain}>\r\n\r\nHello.\r\n`,
  );
}

/** mailauth's DKIM result for `raw`, with DNS answering only the given TXT record. */
async function dkimResult(raw: Buffer, record: { name: string; value: string }) {
  const resolver = createStaticResolver({ [record.name]: { TXT: [[record.value]] } });
  const result = await dkimVerify(raw, { resolver: toMailauthResolver(resolver) } as Parameters<
    typeof dkimVerify
  >[1]);
  return result.results[0]?.status?.result;
}

test("adding a domain shows its DNS records; its DKIM record verifies a real signature", async () => {
  await page.goto("/admin/domains");
  const add = page.getByRole("form", { name: "Add a domain" });
  await add.getByLabel("Add a hosted domain").fill("not a domain");
  await add.getByRole("button", { name: "Add domain" }).click();
  await add.getByText('"not a domain" is not a domain name.').waitFor();
  await add.getByLabel("Add a hosted domain").fill("Example.ORG");
  await add.getByRole("button", { name: "Add domain" }).click();
  await add.getByText("example.org is hosted; publish its DNS records below.").waitFor();
  await domainSection("example.org").waitFor();

  const records = await shownRecords("example.org");
  assert.deepEqual(records.get("Mail for the domain comes here"), {
    name: "example.org",
    value: "10 mx.mail.test.",
  });
  assert.deepEqual(records.get("SPF"), { name: "example.org", value: "v=spf1 mx -all" });
  assert.deepEqual(records.get("DMARC"), {
    name: "_dmarc.example.org",
    value: "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org",
  });
  const dkim = records.get("DKIM")!;
  assert.match(dkim.name, /^s\d{8}\._domainkey\.example\.org$/);
  assert.match(dkim.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);

  // The copy button copies exactly the shown value.
  await domainSection("example.org")
    .getByRole("button", { name: `Copy TXT ${dkim.name}` })
    .click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), dkim.value);

  const signed = await signWithDomainKey(message("example.org"), "example.org");
  assert.equal(await dkimResult(signed, dkim), "pass");
  // A record of another key does not verify it: the check can fail.
  const other = (await shownRecords("mail.test")).get("DKIM")!;
  assert.notEqual(await dkimResult(signed, { name: dkim.name, value: other.value }), "pass");

  // Rotation: a new selector and key are shown; new mail verifies against
  // the new record and not against the old one.
  page.once("dialog", (dialog) => void dialog.accept());
  await domainSection("example.org").getByRole("button", { name: "Rotate DKIM key" }).click();
  await domainSection("example.org")
    .getByText(/New DKIM key for example.org/)
    .waitFor();
  const rotated = (await shownRecords("example.org")).get("DKIM")!;
  assert.notEqual(rotated.name, dkim.name);
  assert.notEqual(rotated.value, dkim.value);
  const signedAgain = await signWithDomainKey(message("example.org"), "example.org");
  // If this ever fails, the message says whether the page and the database
  // disagree and how many rotations the one click caused.
  const stored = await db.domain.findUniqueOrThrow({ where: { name: "example.org" } });
  const rotations = await db.auditLog.findMany({
    where: { action: "domain.dkim_rotate", target: "example.org" },
  });
  assert.equal(
    await dkimResult(signedAgain, rotated),
    "pass",
    `shown ${rotated.name}, stored selector ${stored.dkimSelector}, ` +
      `same key: ${rotated.value.endsWith(stored.dkimPublicKey ?? "-")}, ` +
      `rotations audited: ${rotations.map((r) => JSON.stringify(r.details)).join(" ")}`,
  );
  assert.notEqual(await dkimResult(signedAgain, { name: rotated.name, value: dkim.value }), "pass");
});

test("catch-all, signup on/off, and removal refused while the domain has accounts", async () => {
  await page.goto("/admin/domains");
  const section = domainSection("example.org");
  await section.getByLabel("Catch-all target").fill("nobody");
  await section.getByRole("button", { name: "Set catch-all" }).click();
  await section.getByText("No account or alias nobody@example.org to receive it.").waitFor();
  const someone = await makeAccount("someone", { domain: "example.org" });
  await section.getByLabel("Catch-all target").fill("someone");
  await section.getByRole("button", { name: "Set catch-all" }).click();
  await section.getByText("Catch-all: someone@example.org.").waitFor();
  assert.equal(
    (await db.domain.findUniqueOrThrow({ where: { name: "example.org" } })).catchAllTarget,
    "someone",
  );

  await section.getByRole("button", { name: "Turn signup on" }).click();
  await section.getByRole("button", { name: "Turn signup off" }).waitFor();
  const visitor = await browser.newContext({ baseURL: web.url });
  const signup = await visitor.newPage();
  await signup.goto("/signup");
  await signup.getByRole("option", { name: "example.org" }).waitFor({ state: "attached" });

  page.on("dialog", (dialog) => void dialog.accept());
  await section.getByRole("button", { name: "Remove domain" }).click();
  await section
    .getByText(
      "example.org still has 1 account(s) and 0 alias(es) or list(s): delete or move them first.",
    )
    .waitFor();
  assert.equal(await db.domain.count({ where: { name: "example.org" } }), 1);

  await deleteAccount(someone.address);
  await page.goto("/admin/domains");
  await domainSection("example.org").getByRole("button", { name: "Remove domain" }).click();
  // Its section (with the form that removed it) goes away.
  await domainSection("example.org").waitFor({ state: "detached" });
  assert.equal(await db.domain.count({ where: { name: "example.org" } }), 0);
  await signup.goto("/signup");
  assert.equal(await signup.getByRole("option", { name: "example.org" }).count(), 0);
  await visitor.close();

  const actions = (
    await db.auditLog.findMany({
      where: { action: { startsWith: "domain." } },
      orderBy: { id: "asc" },
    })
  ).map((e) => `${e.action} ${e.target} ${e.actor}`);
  assert.deepEqual(actions, [
    `domain.create example.org ${admin.address}`,
    `domain.dkim_rotate example.org ${admin.address}`,
    `domain.catch_all example.org ${admin.address}`,
    `domain.signup_on example.org ${admin.address}`,
    `domain.remove example.org ${admin.address}`,
  ]);
});

async function saveSettings(fields: Record<string, string>, expect: string | RegExp) {
  await page.goto("/admin/settings");
  const form = page.getByRole("form", { name: "Service settings" });
  for (const [label, value] of Object.entries(fields)) {
    if (label === "Signup") await form.getByLabel(label).selectOption(value);
    else await form.getByLabel(label).fill(value);
  }
  await form.getByRole("button", { name: "Save settings" }).click();
  await form.getByText(expect).waitFor();
}

test("closing signup: the signup page refuses, and opens again", async () => {
  await saveSettings({ Signup: "closed" }, /Settings saved/);
  const visitor = await browser.newContext({ baseURL: web.url });
  const signup = await visitor.newPage();
  await signup.goto("/signup");
  await signup.getByText("Signup is closed. Ask an administrator for an account.").waitFor();
  assert.equal(await signup.getByLabel("Password", { exact: true }).count(), 0);
  await saveSettings({ Signup: "open" }, /Settings saved/);
  await signup.goto("/signup");
  await signup.getByLabel("Password", { exact: true }).waitFor();
  await visitor.close();
});

async function ehloSize(): Promise<string | undefined> {
  const { client } = await RawSmtpClient.connect(gateway.smtpPort);
  const ehlo = await client.command("EHLO client.example");
  await client.quit();
  return ehlo.lines.find((l) => /SIZE/.test(l));
}

test("the message size limit reaches the gateway's SIZE and is enforced", async () => {
  await saveSettings({ "Message size limit (KiB)": "1" }, "Message size limit is out of range.");
  assert.match((await ehloSize()) ?? "", /SIZE 26214400/);
  await saveSettings({ "Message size limit (KiB)": "100" }, /Settings saved/);
  const started = Date.now();
  while (!/SIZE 102400$/.test((await ehloSize()) ?? "") && Date.now() - started < 30_000) {
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.match((await ehloSize()) ?? "", /SIZE 102400$/);
  const { client } = await RawSmtpClient.connect(gateway.smtpPort);
  await client.command("EHLO client.example");
  const tooBig = await client.command("MAIL FROM:<someone@remote.test> SIZE=200000");
  assert.equal(tooBig.code, 552, tooBig.text);
  await client.quit();
  await saveSettings({ "Message size limit (KiB)": "" }, /Settings saved/);
});

test("send limits and the default quota apply to users", async () => {
  await saveSettings(
    { "Messages a user may send per hour": "1", "Default quota for new accounts (MiB)": "20" },
    /Settings saved/,
  );
  await page.goto("/admin/users");
  const create = page.getByRole("form", { name: "Create an account" });
  await create.getByLabel("Address", { exact: true }).fill("limited@mail.test");
  await create.getByLabel("Initial password").fill(TEST_PASSWORD);
  await create.getByRole("button", { name: "Create account" }).click();
  await create.getByText("Created limited@mail.test.").waitFor();
  const limited = await db.account.findUniqueOrThrow({ where: { address: "limited@mail.test" } });
  assert.equal(limited.quotaBytes, 20n * 1024n * 1024n);

  // The gateway's process reads the settings within its cache time.
  await new Promise((r) => setTimeout(r, 5_500));
  const send = async () => {
    const { client, auth } = await submissionSession(gateway.submissionPort!, "limited@mail.test");
    assert.equal(auth.code, 235);
    await client.command("MAIL FROM:<limited@mail.test>");
    await client.command("RCPT TO:<chief@mail.test>");
    await client.command("DATA");
    const reply = await client.data(
      "From: limited@mail.test\r\nTo: chief@mail.test\r\nSubject: hi\r\n\r\nhello\r\n",
    );
    await client.quit();
    return reply;
  };
  assert.equal((await send()).code, 250);
  const second = await send();
  assert.notEqual(second.code, 250);
  assert.match(second.text, /1 messages an hour/);

  await saveSettings(
    { "Messages a user may send per hour": "", "Default quota for new accounts (MiB)": "" },
    /Settings saved/,
  );
  assert.equal(await db.setting.count({ where: { key: { not: "signupMode" } } }), 0);
  const audit = await db.auditLog.count({
    where: { action: "settings.update", actor: admin.address },
  });
  assert.ok(audit >= 5, String(audit));
});

test("each domain says where its postmaster@ and abuse@ go: the admins, or the alias set there", async () => {
  const { createAlias } = await import("../../lib/admin/aliases.ts");
  const { addHostedDomain } = await import("../../lib/accounts/manage-domains.ts");
  await addHostedDomain("roles.test");
  const carol = await makeAccount("carol");
  const routes = async () => {
    await page.goto("/admin/domains");
    const list = domainSection("roles.test").getByRole("list", {
      name: "Role addresses of roles.test",
    });
    return (await list.getByRole("listitem").allTextContents()).map((t) => t.trim());
  };
  assert.deepEqual(await routes(), [
    "postmaster@roles.test: to the admins (chief@mail.test).",
    "abuse@roles.test: to the admins (chief@mail.test).",
  ]);
  await createAlias({
    address: "abuse@roles.test",
    kind: "alias",
    owner: "",
    membersOnly: false,
    targets: [carol.address],
  });
  assert.deepEqual(await routes(), [
    "postmaster@roles.test: to the admins (chief@mail.test).",
    "abuse@roles.test: alias to carol@mail.test.",
  ]);
});
