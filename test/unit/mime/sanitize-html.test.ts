// The server-side sanitizer on its own. The browser-level proof (corpus,
// frame, CSP) is test/e2e/xss-corpus.test.ts; these pin the rules.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { JSDOM } from "jsdom";
import { sanitizeEmailHtml } from "../../../lib/mime/sanitize-html.ts";
import { hasRemoteContent } from "../../../lib/mime/remote-content.ts";

const corpusFile = path.resolve(
  import.meta.dirname,
  "../../../../shared/corpus/xss/dompurify-expect.mjs",
);

const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "background",
  "xlink:href",
  "data",
  "poster",
  "srcset",
  "lowsrc",
  "dynsrc",
  "ping",
  "cite",
  "longdesc",
  "usemap",
]);

/** Parses output and lists what must never survive. */
function dangers(html: string): string[] {
  const doc = new JSDOM(`<body>${html}</body>`).window.document;
  const found: string[] = [];
  for (const el of doc.body.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (
      [
        "script",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "base",
        "meta",
        "link",
      ].includes(tag)
    ) {
      found.push(`<${tag}>`);
    }
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(`${tag}[${attr.name}]`);
      // Only attributes the browser follows as URLs; title="javascript:…" is just text.
      if (!URL_ATTRIBUTES.has(attr.name.toLowerCase())) continue;
      if (/^\s*(javascript|vbscript):/i.test(attr.value.replace(/[\u0000-\u0020]/g, "")))
        found.push(`${tag}[${attr.name}=${attr.value}]`);
      if (
        /^\s*data:/i.test(attr.value) &&
        !(tag === "img" && /^\s*data:image\//i.test(attr.value))
      ) {
        found.push(`${tag}[${attr.name}=data:]`);
      }
    }
  }
  return found;
}

test("every corpus payload comes out without script, SVG, MathML or dangerous URLs", async () => {
  const corpus = (await import(corpusFile)).default as { title: string; payload: string }[];
  assert.ok(corpus.length > 200);
  const failures = corpus
    .map((item) => ({ title: item.title, found: dangers(sanitizeEmailHtml(item.payload)) }))
    .filter((r) => r.found.length > 0);
  assert.deepEqual(failures, []);
});

test("drops scripts, handlers, SVG, MathML, forms and javascript:/data: links", () => {
  const out = sanitizeEmailHtml(
    `<p onclick="x()">hi<script>alert(1)</script></p><svg><animate attributeName="href" values="javascript:alert(1)"/></svg>
     <math><mi xlink:href="javascript:alert(1)">x</mi></math><form action="http://evil/"><input name="p"><button>go</button></form>
     <a href="javascript:alert(1)">j</a><a href="data:text/html,<script>alert(1)</script>">d</a>`,
  );
  assert.deepEqual(dangers(out), []);
  assert.doesNotMatch(out, /<(svg|math|form|input|button|script)/);
  assert.match(out, /<p>hi<\/p>/);
});

test("links open in a new tab without opener or referrer; #anchors stay", () => {
  const out = sanitizeEmailHtml(
    '<a href="https://example.org/">x</a><a href="#top" target="_top">t</a><div target="_blank">d</div>',
  );
  assert.match(
    out,
    /<a href="https:\/\/example.org\/" target="_blank" rel="noopener noreferrer">x<\/a>/,
  );
  assert.match(out, /<a href="#top">t<\/a>/);
  assert.match(out, /<div>d<\/div>/);
});

test("cid: references become the URLs the resolver gives, in attributes and CSS", () => {
  const resolveCid = (id: string) =>
    id === "logo@x" ? "/api/messages/m/attachments/0?inline=1&sig=a" : null;
  const out = sanitizeEmailHtml(
    `<style>p{background:url(cid:logo@x)}</style><img src="cid:logo@x"><img src="CID:%3Clogo@x%3E"><img src="cid:unknown">
     <table><tr><td background="cid:logo@x" style="background-image:url('cid:logo@x')">x</td></tr></table>`,
    { resolveCid },
  );
  assert.equal(out.match(/\/api\/messages\/m\/attachments\/0\?inline=1&amp;sig=a/g)?.length, 4);
  assert.match(out, /url\("\/api\/messages\/m\/attachments\/0\?inline=1&sig=a"\)/);
  assert.doesNotMatch(out, /cid:/i);
});

test("remote background= attributes are dropped (belt and braces with the CSP)", () => {
  const out = sanitizeEmailHtml(
    '<table background="http://x.example/a.png"><tr><td background="//x.example/b.png">a</td><td background="cid:bg">b</td></tr></table>',
    { resolveCid: () => "/api/messages/m/attachments/0?inline=1" },
  );
  assert.doesNotMatch(out, /x\.example/);
  assert.match(out, /<td background="\/api\/messages\/m\/attachments\/0\?inline=1">b<\/td>/);
});

test("data: stays only for real images", () => {
  const out = sanitizeEmailHtml(
    '<img src="data:image/png;base64,AAAA"><img src="data:text/html,x">',
  );
  assert.match(out, /<img src="data:image\/png;base64,AAAA">/);
  assert.match(out, /<img>/);
});

test("leading <style> blocks are kept (mail puts them in <head>)", () => {
  const out = sanitizeEmailHtml(
    "<html><head><style>.a{color:red}</style></head><body><p class=a>x</p></body></html>",
  );
  assert.match(out, /<style>\.a\{color:red\}<\/style>/);
});

test("remote content is noticed for the Show images bar", () => {
  assert.ok(hasRemoteContent('<img src="https://t.example/p.gif">'));
  assert.ok(hasRemoteContent("<table background='http://x/y.png'>"));
  assert.ok(hasRemoteContent("<p style=\"background:url( '//x/y.png')\">"));
  assert.ok(hasRemoteContent('<style>@import "https://x/a.css";</style>'));
  assert.ok(
    !hasRemoteContent(
      '<img src="cid:a"><a href="https://example.org">link</a><img src="data:image/png;base64,AA">',
    ),
  );
});
