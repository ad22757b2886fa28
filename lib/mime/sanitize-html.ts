// HTML mail -> HTML that is safe to show, with DOMPurify over a server-side
// DOM (jsdom). This is the first of two walls: the webmail also renders the
// result in a sandboxed iframe (no scripts, opaque origin) under a strict CSP
// (app/api/messages/[id]/frame/route.ts), so a sanitizer bug alone does not
// run script, and remote loads are stopped by the CSP, not by this file.
//
// Rules: no SVG or MathML (the source of most mXSS), no forms, no scripts or
// event handlers, no javascript:/data: links (data: only for images), no
// embedded frames or media. cid: references are rewritten to attachment URLs
// by a hook while sanitizing, so the URL that comes out was checked like any
// other; nothing edits the HTML after DOMPurify returns it.
import createDOMPurify, { type DOMPurify } from "dompurify";
import { JSDOM } from "jsdom";
import { MAX_SANITIZE_CHARS } from "./remote-content.ts";

export type SanitizeOptions = {
  /**
   * The URL an inline part is loaded from, for `cid:` references (given the
   * Content-ID without "cid:" or angle brackets); null drops the reference.
   */
  resolveCid?: (contentId: string) => string | null;
};

const FORBID_TAGS = [
  // Profiles below already leave out svg/math; listed so a profile change cannot bring them back.
  "svg",
  "math",
  "form",
  "input",
  "button",
  "select",
  "option",
  "optgroup",
  "textarea",
  "fieldset",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "audio",
  "video",
  "source",
  "track",
  "picture",
  "base",
  "link",
  "meta",
  "portal",
];

// Attributes that fetch or navigate that we never need in mail: srcset and
// poster load images past our cid: rewriting; formaction, action, ping
// and xlink:href point elsewhere.
const FORBID_ATTR = ["srcset", "poster", "formaction", "action", "ping", "xlink:href", "autofocus"];

// Absolute URLs may be http(s), mailto or tel; relative URLs (our rewritten
// cid: parts, #anchors) pass. DOMPurify separately allows data: on <img>.
const ALLOWED_URI_REGEXP = /^(?:(?:https?|mailto|tel):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

const CID_URL = /^\s*cid:\s*<?([^>\s]+)>?\s*$/i;
const CSS_CID_URL = /url\(\s*(["']?)\s*cid:([^"')\s]+)\s*\1\s*\)/gi;

let purifier: DOMPurify | null = null;
let currentOptions: SanitizeOptions = {};

function resolveCidUrl(value: string): string | null {
  const m = CID_URL.exec(value);
  if (!m) return value;
  let id = m[1]!;
  try {
    id = decodeURIComponent(id);
  } catch {
    // A malformed %-escape: use the id as written.
  }
  // RFC 2392: the URL is the Content-ID without its angle brackets, though
  // some senders keep them (escaped or not).
  return currentOptions.resolveCid?.(id.replace(/^<|>$/g, "")) ?? null;
}

function rewriteCssCids(css: string): string {
  if (!/cid:/i.test(css)) return css;
  return css.replace(CSS_CID_URL, (_all, _quote: string, id: string) => {
    const url = resolveCidUrl(`cid:${id}`);
    // Our URLs hold no quotes or parentheses; anything else becomes "none".
    return url && /^[\w\-./?=&%:]+$/.test(url) ? `url("${url}")` : "none";
  });
}

function getPurifier(): DOMPurify {
  if (purifier) return purifier;
  const { window } = new JSDOM("<!doctype html><html><body></body></html>");
  const p = createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]);

  // Runs before DOMPurify validates the attribute, so a rewritten value is
  // checked against the URI rules like any other.
  p.addHook("uponSanitizeAttribute", (_node, data) => {
    const name = data.attrName;
    if (name === "src" || name === "background") {
      const resolved = resolveCidUrl(data.attrValue);
      // The legacy background= attribute is only kept for inline parts and
      // data: images: a remote one is a tracking pixel in all but name, and
      // stripping it here means the CSP is not the only thing stopping it.
      const remoteBackground =
        name === "background" &&
        resolved !== null &&
        /^\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(resolved);
      if (resolved === null || remoteBackground) data.keepAttr = false;
      else data.attrValue = resolved;
    } else if (name === "style") {
      data.attrValue = rewriteCssCids(data.attrValue);
    }
  });

  p.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName === "style" && node.textContent) {
      node.textContent = rewriteCssCids(node.textContent);
    }
  });

  p.addHook("afterSanitizeAttributes", (node) => {
    const element = node as Element;
    // data: stays only for images proper; data:text/html in an <img> is junk at best.
    if (element.tagName === "IMG") {
      const src = element.getAttribute("src");
      if (src && /^\s*data:/i.test(src) && !/^\s*data:image\//i.test(src)) {
        element.removeAttribute("src");
      }
    }
    if ((element.tagName === "A" || element.tagName === "AREA") && element.hasAttribute("href")) {
      const href = element.getAttribute("href")!.trim();
      if (href.startsWith("#")) {
        element.removeAttribute("target");
      } else {
        // A new tab without window.opener or a Referer (which would leak the message URL).
        element.setAttribute("target", "_blank");
        element.setAttribute("rel", "noopener noreferrer");
      }
    } else if (element.hasAttribute("target")) {
      element.removeAttribute("target");
    }
  });

  purifier = p;
  return p;
}

/** Sanitizes an HTML mail body; see the file comment for what survives. */
export function sanitizeEmailHtml(html: string, options: SanitizeOptions = {}): string {
  const p = getPurifier();
  currentOptions = options;
  try {
    return p.sanitize(html.slice(0, MAX_SANITIZE_CHARS), {
      USE_PROFILES: { html: true },
      FORBID_TAGS,
      FORBID_ATTR,
      ADD_ATTR: ["target"],
      ALLOWED_URI_REGEXP,
      ALLOW_DATA_ATTR: false,
      ALLOW_UNKNOWN_PROTOCOLS: false,
      // Keeps a leading <style> (mail puts it in <head>) instead of dropping it.
      FORCE_BODY: true,
      WHOLE_DOCUMENT: false,
      RETURN_TRUSTED_TYPE: false,
    });
  } finally {
    currentOptions = {};
  }
}
