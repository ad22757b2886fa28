// The start of an HTML body's readable text, for the preview line under a
// message's subject: text nodes only, so no link targets and no image URLs
// (nor alt texts, which previews leave out too), nothing of <style>,
// <script> or <title>, comments (Outlook's conditional blocks) skipped. It
// stops reading once it has enough: a newsletter's 60 KB of markup costs
// well under a millisecond, where rendering all of it with html-to-text
// costs tens (that full rendering is what the search text of an HTML-only
// message uses).
import { Parser } from "htmlparser2";

// Elements whose text is not shown (the rest of <head> holds no text).
const HIDDEN = new Set(["style", "script", "title", "template"]);
// Elements that start a new line when shown: their text must not run into
// the neighbours' ("<td>A</td><td>B</td>" reads "A B", not "AB").
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "center",
  "dd",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
]);
// Markup is fed in pieces of this size until enough text is found.
const CHUNK_CHARS = 8 * 1024;

/** Roughly the first `wantChars` characters of the HTML's visible text (whitespace not yet collapsed). */
export function htmlPreviewText(html: string, wantChars: number): string {
  let text = "";
  let visible = 0;
  let hidden = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (HIDDEN.has(name)) hidden++;
        else if (BLOCK.has(name)) text += " ";
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hidden = Math.max(0, hidden - 1);
        else if (BLOCK.has(name)) text += " ";
      },
      ontext(data) {
        if (hidden > 0) return;
        text += data;
        visible += data.replace(/\s+/g, "").length;
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  // Twice the wanted visible characters leaves room for the spaces between words.
  for (let at = 0; at < html.length && visible < wantChars * 2; at += CHUNK_CHARS) {
    parser.write(html.slice(at, at + CHUNK_CHARS));
  }
  parser.end();
  return text;
}
