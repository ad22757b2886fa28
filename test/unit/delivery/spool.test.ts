import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import { buffer } from "node:stream/consumers";
import { clearSpool, HEAD_BYTES, spoolMessage } from "../../../lib/delivery/spool.ts";

const dir = await mkdtemp(path.join(tmpdir(), "mail-spool-unit-"));
after(() => rm(dir, { recursive: true, force: true }));
const chunks = (total: number, size = 10_000) =>
  Readable.from(
    Array.from({ length: Math.ceil(total / size) }, (_, i) =>
      Buffer.alloc(Math.min(size, total - i * size), 65 + (i % 26)),
    ),
  );

test("a small message stays in memory, whole", async () => {
  const spooled = await spoolMessage(chunks(50_000), {
    maxBytes: 1_000_000,
    dir,
    memoryBytes: 100_000,
  });
  assert.equal(spooled.size, 50_000);
  assert.equal(spooled.file, null);
  assert.equal(spooled.memory?.length, 50_000);
  assert.equal(spooled.head.length, 50_000);
  assert.deepEqual(await readdir(dir), []);
});

test("a larger one goes to a private spool file, the head stays in memory", async () => {
  const spooled = await spoolMessage(chunks(300_000), {
    maxBytes: 1_000_000,
    dir,
    memoryBytes: 100_000,
  });
  assert.equal(spooled.memory, null);
  assert.ok(spooled.file);
  const content = await readFile(spooled.file);
  assert.equal(content.length, 300_000);
  assert.ok(spooled.head.equals(content.subarray(0, HEAD_BYTES)));
  assert.ok((await buffer(spooled.open())).equals(content));
  await spooled.dispose();
  assert.deepEqual(await readdir(dir), []);
});

test("an oversized message is read to the end and nothing is kept", async () => {
  const spooled = await spoolMessage(chunks(2_000_000), {
    maxBytes: 1_000_000,
    dir,
    memoryBytes: 100_000,
  });
  assert.equal(spooled.tooLarge, true);
  assert.equal(spooled.size, 2_000_000);
  assert.equal(spooled.memory, null);
  assert.equal(spooled.file, null);
  assert.deepEqual(await readdir(dir), []);
});

test("clearSpool removes spool files only", async () => {
  await writeFile(path.join(dir, "6f1c2a8e-1d2b-4c3d-8e4f-5a6b7c8d9e0f.eml"), "x");
  await writeFile(path.join(dir, "keep-me.txt"), "x");
  assert.equal(await clearSpool(dir), 1);
  assert.deepEqual(await readdir(dir), ["keep-me.txt"]);
  assert.equal(await clearSpool(path.join(dir, "missing")), 0);
});
