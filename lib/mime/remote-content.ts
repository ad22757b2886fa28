// Which HTML bodies refer to remote resources, without the sanitizer: the
// store and the gateway ask this, and must not load jsdom (tens of MB) for it.

// Markup beyond this is cut before sanitizing: jsdom needs seconds for tens of
// megabytes, and no readable mail body is that long. Cutting is safe: the
// sanitizer closes whatever the cut left open.
export const MAX_SANITIZE_CHARS = 2 * 1024 * 1024;

// URLs that would fetch from elsewhere: src/background/poster attributes and
// CSS url()/@import with an absolute or protocol-relative http(s) URL.
const REMOTE_REFERENCE =
  /(?:\b(?:src|srcset|background|poster)\s*=\s*["']?\s*(?:https?:)?\/\/)|(?:url\(\s*["']?\s*(?:https?:)?\/\/)|(?:@import\s+["']?\s*(?:https?:)?\/\/)/i;

/**
 * Whether the HTML refers to remote resources, to decide if "Show images" is
 * offered. A cheap scan of the unsanitized text: it only picks the banner;
 * the frame's CSP is what blocks the loads.
 */
export function hasRemoteContent(html: string): boolean {
  return REMOTE_REFERENCE.test(html.slice(0, MAX_SANITIZE_CHARS));
}
