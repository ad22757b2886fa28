// Which origin a web request was addressed to, and whether a state-changing
// request came from one of this site's own pages. Pure functions over the
// request's headers: the web app calls them with its configuration
// (app/_server/mail.ts refuseCrossSite, the frame and print CSPs).
//
// The server answers on every address the machine has (localhost, 127.0.0.1,
// a LAN address, a public name), so its own origin is the one the browser
// asked for: the Host header, never the listen address. Behind a reverse
// proxy the browser's Host and scheme arrive in X-Forwarded-Host/-Proto,
// believed only when TRUST_PROXY says a proxy sets them (a client can send
// them too).

export type OriginPolicy = {
  /** X-Forwarded-Host/-Proto come from a reverse proxy of ours (TRUST_PROXY). */
  trustProxy: boolean;
  /** The origin PUBLIC_URL names, or null when it is unset. */
  publicOrigin: string | null;
};

type HeaderSource = Pick<Headers, "get">;

// A host name, IPv4 or bracketed IPv6 address, with an optional port: what a
// Host header may carry (RFC 9110 §7.2). Anything else gives no origin.
const HOST = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The first value of a comma-separated header (proxies append theirs). */
function firstValue(value: string | null): string | null {
  const first = value?.split(",")[0]?.trim();
  return first ? first : null;
}

/**
 * The origin the browser addressed ("http://192.168.1.5:3000"), or null when
 * the Host is missing or malformed. web/server.ts speaks plain HTTP, so the
 * scheme is http unless a trusted proxy says otherwise.
 */
export function requestOrigin(headers: HeaderSource, policy: OriginPolicy): string | null {
  const forwardedHost = policy.trustProxy ? firstValue(headers.get("x-forwarded-host")) : null;
  const forwardedProto = policy.trustProxy ? firstValue(headers.get("x-forwarded-proto")) : null;
  const host = forwardedHost ?? headers.get("host");
  const scheme = forwardedProto?.toLowerCase() === "https" ? "https" : "http";
  if (!host || !HOST.test(host)) return null;
  // URL normalises case and drops a default port, as browsers do in Origin.
  return new URL(`${scheme}://${host}`).origin;
}

/**
 * Whether a state-changing request was made by a page of this site. A
 * browser says so itself in Sec-Fetch-Site (all current ones send it):
 * "same-origin" passes, "same-site" (another port or subdomain, which gets
 * the SameSite=Lax cookie) and "cross-site" do not, and "none" (the user's
 * own navigation, not any page's) passes. Without it, Origin must be this
 * request's own origin or PUBLIC_URL's. A request with neither header was
 * not made by a web page (curl, a script), so no other site made it.
 */
export function isSameOriginRequest(headers: HeaderSource, policy: OriginPolicy): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" || site === "none";
  const origin = headers.get("origin");
  if (origin === null) return true;
  return origin === requestOrigin(headers, policy) || origin === policy.publicOrigin;
}
