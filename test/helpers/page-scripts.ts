// The JavaScript a page makes Chromium load, as the network panel counts it:
// every script response (the HTML's own tags and every chunk loaded later),
// each body gzipped at level 9 so figures compare whatever the server's own
// compression. Used by the JS budget test and by bench:webmail.
import { gzipSync } from "node:zlib";
import type { Page, Response } from "playwright-core";

export type LoadedScript = { url: string; body: Buffer; gzipBytes: number };

export class ScriptRecorder {
  readonly scripts = new Map<string, LoadedScript>();
  private pending: Promise<void>[] = [];

  constructor(page: Page) {
    page.on("response", (response) => {
      if (response.request().resourceType() !== "script") return;
      this.pending.push(this.record(response));
    });
  }

  private async record(response: Response): Promise<void> {
    const url = response.url();
    if (this.scripts.has(url)) return;
    const body = await response.body().catch(() => null);
    if (!body) return;
    this.scripts.set(url, { url, body, gzipBytes: gzipSync(body, { level: 9 }).length });
  }

  /** Waits for every body seen so far; returns the scripts and their gzip total. */
  async settle(): Promise<{ files: number; gzipBytes: number; scripts: LoadedScript[] }> {
    while (this.pending.length) await Promise.all(this.pending.splice(0));
    const scripts = [...this.scripts.values()];
    return {
      files: scripts.length,
      gzipBytes: scripts.reduce((sum, s) => sum + s.gzipBytes, 0),
      scripts,
    };
  }
}

/** Does a loaded script hold the rich-text editor (Tiptap on ProseMirror)? */
export function holdsEditor(script: LoadedScript): boolean {
  const text = script.body.toString("latin1");
  return text.includes("ProseMirror") || text.includes("tiptap");
}
