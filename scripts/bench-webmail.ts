// npm run bench:webmail
// Fills one account of a private Postgres with 100,000 messages (the shared
// MIME corpus through the real delivery path, the rest generated from the
// corpus's own words and bulk-inserted), then times the webmail's four hot
// reads through their lib functions and as bare SQL on a plain pg client,
// and measures the gzipped JavaScript of /mail against an empty page.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { chromium } from "playwright-core";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { ensureNextBuild } from "./lib/next-build.ts";
import { CHROMIUM_FLAGS } from "../test/helpers/browser.ts";
import { getFreePort, waitForPort } from "../test/helpers/net.ts";
import { ScriptRecorder } from "../test/helpers/page-scripts.ts";

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = 20;
const root = path.resolve(import.meta.dirname, "..");
const corpusDir = path.resolve(root, "../shared/corpus/mime");
const log = (line: string) => console.log(`[bench] ${line}`);
const PASSWORD = "bench password bench password";

class SkipJs extends Error {}

const pgDir = await mkdtemp(path.join(tmpdir(), "mail-bench-pg-"));
await chmod(pgDir, 0o755);
const server = await startEmbeddedPostgres({
  dir: pgDir,
  port: await getFreePort(),
  log: process.env.BENCH_PG_LOG ? (line) => console.log(`[postgres] ${line}`) : undefined,
});
let web: ReturnType<typeof spawn> | null = null;
try {
  const url = await ensureDatabase(server.adminUrl, "mail_bench");
  await migrate(url);
  process.env.DATABASE_URL = url;
  const { db, disconnectDb } = await import("../lib/db.ts");
  const { ensureHostedDomain } = await import("../lib/accounts/domains.ts");
  const { createAccount } = await import("../lib/accounts/create-account.ts");
  const { parseMessage } = await import("../lib/mime/parse-message.ts");
  const { storeDelivery } = await import("../lib/store/deliver.ts");
  const { newUuidV7 } = await import("../lib/store/ids.ts");
  const { listMessages, listMessagesSql } = await import("../lib/store/list-messages.ts");
  const { listConversations, listConversationsSql } =
    await import("../lib/store/list-conversations.ts");
  const { getConversation, conversationSql } = await import("../lib/store/get-message.ts");
  const { searchMessages, searchSql, resolveScope } =
    await import("../lib/search/search-messages.ts");
  const { parseQuery } = await import("../lib/search/parse-query.ts");
  const { listMailboxes } = await import("../lib/store/read-mailboxes.ts");

  await ensureHostedDomain("bench.test");
  const account = await createAccount({
    localPart: "bench",
    domain: "bench.test",
    displayName: "Bench",
    password: PASSWORD,
    quotaBytes: 1n << 40n,
  });
  const boxes = await listMailboxes(account.id);
  const inbox = boxes.find((b) => b.specialUse === "INBOX")!;

  // 1. The corpus, through parse + storeDelivery (the SMTP path).
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(eml|raw)$/.test(e.name)) files.push(p);
    }
  };
  await walk(corpusDir);
  const words = new Map<string, number>();
  const started = Date.now();
  const span = 3 * 365 * 24 * 3600 * 1000;
  let stored = 0;
  const refused = new Map<string, number>();
  for (const file of files) {
    const raw = await readFile(file);
    try {
      const parsed = await parseMessage(raw);
      for (const w of `${parsed.subject} ${parsed.text}`.toLowerCase().match(/\p{L}{3,15}/gu) ??
        []) {
        words.set(w, (words.get(w) ?? 0) + 1);
      }
      await storeDelivery({
        receivedAt: new Date(started - Math.random() * span),
        sources: [
          {
            bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
            parsed,
            accountIds: [account.id],
            outbound: [],
          },
        ],
        enforceQuota: false,
      });
      stored++;
    } catch (error) {
      // A message the store refuses is the gateway's problem, not the benchmark's.
      refused.set(
        String((error as Error).message).slice(0, 80),
        (refused.get(String((error as Error).message).slice(0, 80)) ?? 0) + 1,
      );
    }
  }
  log(`stored ${stored} of ${files.length} corpus messages through storeDelivery`);
  for (const [reason, n] of refused) log(`  refused ${n}: ${reason}`);

  // 2. Generated messages from the corpus's words (Zipf-like: frequent words
  // are frequent), bulk-inserted in the shape storeDelivery writes.
  const vocabulary = [...words.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([w]) => w)
    .slice(0, 6000);
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < vocabulary.length; i++) cumulative.push((sum += 1 / (i + 1)));
  const word = () => {
    const x = Math.random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo]!;
  };
  const sentence = (n: number) => Array.from({ length: n }, word).join(" ");
  const senders = Array.from({ length: 400 }, (_, i) => ({
    name: `${word()} ${word()}`,
    address: `${word()}${i}@example${i % 37}.org`,
  }));
  const targets = boxes.filter(
    (b) => b.specialUse !== "TRASH" && b.specialUse !== "JUNK" && b.specialUse !== "DRAFTS",
  );
  const generated = TOTAL - stored;
  // Threads: a third of the generated messages reply to an earlier thread
  // (any age), so the Inbox's conversation rows group 1 to many messages.
  const threadIds: string[] = [];
  const BATCH = 2000;
  const client = new pg.Client({ connectionString: url });
  // Errors surface from the query that failed; this only keeps a server
  // shutdown after a failure from hiding that error.
  client.on("error", () => {});
  await client.connect();
  for (let done = 0; done < generated; done += BATCH) {
    const n = Math.min(BATCH, generated - done);
    const rows = Array.from({ length: n }, () => {
      const from = senders[Math.floor(Math.random() * senders.length)]!;
      const subject = sentence(3 + Math.floor(Math.random() * 6));
      const text = sentence(40 + Math.floor(Math.random() * 160));
      const receivedAt = new Date(started - Math.random() * span);
      const raw = `From: ${from.name} <${from.address}>\r\nTo: Bench <bench@bench.test>\r\nSubject: ${subject}\r\nDate: ${receivedAt.toUTCString()}\r\nMessage-ID: <${randomBytes(8).toString("hex")}@example.org>\r\n\r\n${text}\r\n`;
      // 85% Inbox: the folder under test holds ~85,000 messages.
      const mailbox =
        Math.random() < 0.85 ? inbox : targets[Math.floor(Math.random() * targets.length)]!;
      const reply = threadIds.length > 0 && Math.random() < 1 / 3;
      const thread = reply
        ? threadIds[Math.floor(Math.random() * threadIds.length)]!
        : newUuidV7(receivedAt.getTime());
      if (!reply) threadIds.push(thread);
      return {
        id: newUuidV7(receivedAt.getTime()),
        thread,
        newThread: !reply,
        sha: createHash("sha256").update(raw).digest("hex"),
        raw,
        size: Buffer.byteLength(raw),
        mailbox: mailbox.id,
        from,
        subject,
        text,
        receivedAt,
        seen: Math.random() < 0.7,
        flagged: Math.random() < 0.03,
        attachments: Math.random() < 0.08,
      };
    });
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO "MessageSource" ("sha256", "raw", "size", "textBody")
       SELECT s, convert_to(r, 'UTF8'), z, t FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS x(s, r, z, t)
       ON CONFLICT DO NOTHING`,
      [col("sha"), col("raw"), col("size"), col("text")],
    );
    await client.query(
      `INSERT INTO "Thread" ("accountId", "id", "normalizedSubject", "lastMessageAt")
       SELECT $1::uuid, t, lower(s), d FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS x(t, s, d)`,
      [
        account.id,
        ...[col("thread"), col("subject"), col("receivedAt")].map((c) =>
          c.filter((_, i) => rows[i]!.newThread),
        ),
      ],
    );
    await client.query(
      `INSERT INTO "Message" ("accountId", "id", "mailboxId", "uid", "modseq", "sourceSha256", "threadId", "seen", "flagged",
         "receivedAt", "sentAt", "size", "fromAddress", "fromName", "toList", "subject", "snippet", "hasAttachments")
       SELECT $1::uuid, x.id, x.mb, 1000000 + $2::int + x.n, 1, x.sha, x.th, x.seen, x.flagged, x.d, x.d, x.z, x.fa, x.fn,
         '[{"name":"Bench","address":"bench@bench.test"}]'::jsonb, x.s, left(x.t, 200), x.att
       FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::uuid[], $7::boolean[], $8::boolean[], $9::timestamptz[], $10::int[],
         $11::text[], $12::text[], $13::text[], $14::text[], $15::boolean[]) WITH ORDINALITY
         AS x(id, mb, sha, th, seen, flagged, d, z, fa, fn, s, t, att, n)`,
      [
        account.id,
        done,
        col("id"),
        col("mailbox"),
        col("sha"),
        col("thread"),
        col("seen"),
        col("flagged"),
        col("receivedAt"),
        col("size"),
        rows.map((r) => r.from.address),
        rows.map((r) => r.from.name),
        col("subject"),
        col("text"),
        col("attachments"),
      ],
    );
    // Their search vectors, as the indexer (lib/store/search-indexer.ts) fills them.
    await client.query(
      `INSERT INTO "MessageSearch" ("accountId", "messageId", "vector")
       SELECT $1::uuid, x.id,
         setweight(to_tsvector('simple', x.s), 'A') || setweight(to_tsvector('simple', x.fn || ' ' || x.fa || ' Bench bench@bench.test'), 'B')
           || setweight(to_tsvector('simple', x.t), 'D')
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(id, fa, fn, s, t)`,
      [
        account.id,
        col("id"),
        rows.map((r) => r.from.address),
        rows.map((r) => r.from.name),
        col("subject"),
        col("text"),
      ],
    );
    await client.query("COMMIT");
    if ((done / BATCH) % 10 === 0) log(`generated ${done + n} / ${generated}`);
  }
  // Counters as lib/store would have kept them; uids renumbered per folder
  // (negated first: the unique index is checked row by row).
  await client.query(`UPDATE "Message" SET "uid" = -"uid" WHERE "accountId" = $1`, [account.id]);
  await client.query(
    `WITH n AS (SELECT "accountId", "id", row_number() OVER (PARTITION BY "mailboxId" ORDER BY "receivedAt", "id") AS uid
       FROM "Message" WHERE "accountId" = $1)
     UPDATE "Message" m SET "uid" = n.uid FROM n WHERE m."accountId" = n."accountId" AND m."id" = n."id"`,
    [account.id],
  );
  await client.query(
    `UPDATE "Mailbox" b SET "messageCount" = c.n, "unreadCount" = c.u, "totalBytes" = c.z, "uidNext" = c.n + 1
     FROM (SELECT "mailboxId", count(*) AS n, count(*) FILTER (WHERE NOT "seen") AS u, sum("size") AS z
       FROM "Message" WHERE "accountId" = $1 GROUP BY "mailboxId") c
     WHERE b."accountId" = $1 AND b."id" = c."mailboxId"`,
    [account.id],
  );
  await client.query(
    `UPDATE "Account" SET "usedBytes" = (SELECT sum("size") FROM "Message" WHERE "accountId" = $1) WHERE "id" = $1`,
    [account.id],
  );
  await client.query("VACUUM ANALYZE");
  const inboxCount = (
    await client.query(`SELECT "messageCount" FROM "Mailbox" WHERE "id" = $1`, [inbox.id])
  ).rows[0].messageCount;
  log(
    `${TOTAL} messages in the account, ${inboxCount} in the Inbox, filled in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );

  // 3. Timings: lib function vs its bare SQL on a plain pg connection.
  const sample = (
    await client.query(
      `SELECT "id"::text FROM "Message" WHERE "accountId" = $1 ORDER BY random() LIMIT 500`,
      [account.id],
    )
  ).rows.map((r) => r.id as string);
  const freeWords = vocabulary.slice(50, 300);
  const mailboxes = await listMailboxes(account.id);
  const freeQuery = (i: number) => freeWords[i % freeWords.length]!;
  const operatorQuery = (i: number) => {
    const s = senders[i % senders.length]!;
    return `from:${s.address.split("@")[0]} is:unread after:2024-01-01`;
  };
  type Case = {
    name: string;
    lib: (i: number) => Promise<unknown>;
    sql: (i: number) => { text: string; values: unknown[] };
  };
  const searchBare = (q: string) => {
    const parsed = parseQuery(q);
    const scope = resolveScope(parsed, mailboxes)!;
    return searchSql(account.id, parsed, scope, null, 50);
  };
  const cases: Case[] = [
    {
      name: "first page of Inbox",
      lib: () => listMessages(account.id, inbox.id),
      sql: () => listMessagesSql(account.id, inbox.id, null, 50),
    },
    {
      // Against the plain list's bare SQL: the cost of grouping by thread.
      name: "first page of Inbox as conversations (vs the plain page's SQL)",
      lib: () => listConversations(account.id, inbox.id),
      sql: () => listMessagesSql(account.id, inbox.id, null, 50),
    },
    {
      // The grouping alone: the conversations SQL against the plain page's, both bare.
      name: "conversations SQL (bare) vs the plain page's SQL",
      lib: () => {
        const q = listConversationsSql(account.id, inbox.id, null, 50);
        return client.query(q.text, q.values);
      },
      sql: () => listMessagesSql(account.id, inbox.id, null, 50),
    },
    {
      name: "open a message",
      lib: (i) => getConversation(account.id, sample[i % sample.length]!),
      sql: (i) => conversationSql(account.id, sample[i % sample.length]!),
    },
    {
      name: "free-text search",
      lib: (i) => searchMessages(account.id, freeQuery(i), { mailboxes }),
      sql: (i) => searchBare(freeQuery(i)),
    },
    {
      name: "operator search",
      lib: (i) => searchMessages(account.id, operatorQuery(i), { mailboxes }),
      sql: (i) => searchBare(operatorQuery(i)),
    },
  ];
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  };
  const results: string[] = [];
  results.push(`| query | lib p50 | lib p95 | SQL p50 | SQL p95 | ratio p50 | ratio p95 |`);
  results.push(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const c of cases) {
    const libTimes: number[] = [];
    const sqlTimes: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      // Alternate which goes first so caches favour neither.
      const order = i % 2 === 0 ? ["lib", "sql"] : ["sql", "lib"];
      for (const which of order) {
        const t = performance.now();
        if (which === "lib") await c.lib(i);
        else {
          const q = c.sql(i);
          await client.query(q.text, q.values);
        }
        const ms = performance.now() - t;
        if (i >= WARMUP) (which === "lib" ? libTimes : sqlTimes).push(ms);
      }
    }
    const [l50, l95, s50, s95] = [
      pct(libTimes, 50),
      pct(libTimes, 95),
      pct(sqlTimes, 50),
      pct(sqlTimes, 95),
    ];
    results.push(
      `| ${c.name} | ${l50.toFixed(2)} ms | ${l95.toFixed(2)} ms | ${s50.toFixed(2)} ms | ${s95.toFixed(2)} ms | ${(l50 / s50).toFixed(2)} | ${(l95 / s95).toFixed(2)} |`,
    );
  }
  const plan = await client.query(
    `EXPLAIN ${listMessagesSql(account.id, inbox.id, null, 50).text}`,
    listMessagesSql(account.id, inbox.id, null, 50).values,
  );
  const groupedSql = listConversationsSql(account.id, inbox.id, null, 50);
  const groupedPlan = await client.query(`EXPLAIN ${groupedSql.text}`, groupedSql.values);
  await client.end();
  await disconnectDb();
  await db.$disconnect().catch(() => {});

  console.log(
    `\nWebmail benchmark: ${TOTAL} messages (${inboxCount} in the Inbox), ${RUNS} runs each\n`,
  );
  console.log(results.join("\n"));
  console.log(
    `\nInbox first page plan:\n${plan.rows.map((r) => `  ${r["QUERY PLAN"]}`).join("\n")}`,
  );
  console.log(
    `\nInbox first page as conversations plan:\n${groupedPlan.rows.map((r) => `  ${r["QUERY PLAN"]}`).join("\n")}`,
  );
  // BENCH_JS=0: the queries only (the JS measurement needs a Next build).
  if (process.env.BENCH_JS === "0") throw new SkipJs();

  // 4. JavaScript of /mail vs the framework's floor (the not-found page has
  // no client code of its own: it is an empty page built the same way).
  await ensureNextBuild(root, log);
  const port = await getFreePort();
  const base = `http://127.0.0.1:${port}`;
  web = spawn(process.execPath, ["--import", "tsx", path.join(root, "web/server.ts")], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      WEB_PORT: String(port),
      WEB_HOST: "127.0.0.1",
      PUBLIC_URL: base,
      NEXTAUTH_URL: base,
      NEXTAUTH_SECRET: randomBytes(24).toString("hex"),
    },
    stdio: "ignore",
  });
  await waitForPort(port);
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let cookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const login = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({
      csrfToken,
      address: "bench@bench.test",
      password: PASSWORD,
      json: "true",
    }),
  });
  cookie = [cookie, ...login.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
  // As the browser loads it: every script Chromium fetches for the page,
  // chunks loaded after the HTML included, before any composer is opened.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
  });
  const context = await browser.newContext();
  await context.addCookies(
    cookie.split("; ").map((pair) => {
      const [name, ...value] = pair.split("=");
      return { name: name!, value: value.join("="), url: base };
    }),
  );
  const pageScripts = async (pathname: string) => {
    const page = await context.newPage();
    const recorder = new ScriptRecorder(page);
    await page.goto(`${base}${pathname}`, { waitUntil: "networkidle" });
    if (pathname === "/mail" && !(await page.locator(".mail-app").count()))
      throw new Error("signing in for the JS measurement failed");
    const loaded = await recorder.settle();
    await page.close();
    return { files: loaded.files, gz: loaded.gzipBytes };
  };
  const mailJs = await pageScripts("/mail");
  const floorJs = await pageScripts("/this-page-does-not-exist");
  await browser.close();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

  console.log(
    `\nJavaScript loaded by Chromium (each script gzip -9): /mail ${kb(mailJs.gz)} in ${mailJs.files} files; empty page ${kb(floorJs.gz)} in ${floorJs.files} files; above the floor ${kb(mailJs.gz - floorJs.gz)}`,
  );
} catch (error) {
  if (!(error instanceof SkipJs)) throw error;
} finally {
  if (web && web.exitCode === null) {
    const exited = new Promise((r) => web!.once("exit", r));
    web.kill("SIGTERM");
    await exited;
  }
  await server.stop();
  await rm(pgDir, { recursive: true, force: true });
}
process.exit(0);
