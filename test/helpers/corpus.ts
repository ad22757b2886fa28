// The public MIME test messages beside the repository (../shared/corpus/mime).
import { readdir } from "node:fs/promises";
import path from "node:path";

export const MIME_CORPUS_DIR = path.resolve(import.meta.dirname, "../../../shared/corpus/mime");

/** Every .eml/.raw file under `dir` (default: the MIME corpus), sorted. */
export async function mimeCorpusFiles(dir = MIME_CORPUS_DIR): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await mimeCorpusFiles(full)));
    else if (/\.(eml|raw)$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}
