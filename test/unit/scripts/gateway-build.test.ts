// The production gateway bundle: it runs, imports only the packages the
// gateway needs, and the build refuses the heavy ones it must never load.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { buildGateway } from "../../../scripts/lib/gateway-build.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const work = await mkdtemp(path.join(tmpdir(), "gateway-build-"));
after(() => rm(work, { recursive: true, force: true }));

test("the gateway bundle imports mail packages, not the web app's renderer or DOM", async () => {
  const packages = await buildGateway(root, path.join(work, "gateway.mjs"));
  for (const needed of ["smtp-server", "mailparser", "mailauth", "pg", "@prisma/client"]) {
    assert.ok(packages.includes(needed), `${needed} in ${packages.join(", ")}`);
  }
  for (const heavy of ["jsdom", "dompurify", "next", "react"]) {
    assert.ok(!packages.includes(heavy), `${heavy} in ${packages.join(", ")}`);
  }
});

test("a module that pulls in jsdom fails the build with the reason", async () => {
  const entry = path.join(work, "bad-entry.ts");
  await writeFile(
    entry,
    `import ${JSON.stringify(path.join(root, "lib/mime/sanitize-html.ts"))};\n`,
  );
  await assert.rejects(
    buildGateway(root, path.join(work, "bad.mjs"), entry),
    /the gateway must not import jsdom, dompurify/,
  );
});
