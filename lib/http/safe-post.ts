// POSTs our server makes to URLs that came from outside (a list message's
// RFC 8058 one-click unsubscribe, a browser's Web Push endpoint), guarded
// against server-side request forgery: only http(s), no credentials in the
// URL, and every address the host name resolves to must be public: no
// loopback, private (RFC 1918, RFC 4193), link-local, CGNAT, multicast or
// reserved range, checked in the connection's own DNS lookup so a name
// cannot resolve to a public address for the check and a private one for
// the connection. Redirects are not followed. OUTBOUND_HTTP_ALLOW_PRIVATE
// (tests only) lets loopback and private addresses through.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { loadConfig } from "../config/index.ts";
import { UserError } from "../errors.ts";

/** How long a remote server may take to answer. */
export const SAFE_POST_TIMEOUT_MS = 10_000;
/** Response bytes read (the body is only drained, never used). */
const MAX_RESPONSE_BYTES = 64 * 1024;

const blocked = new net.BlockList();
for (const [net4, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net4, bits, "ipv4");
}
for (const [net6, bits] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(net6, bits, "ipv6");
}

/** Whether `ip` (v4 or v6) is an address on the public internet. */
export function isPublicAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return !blocked.check(ip, "ipv4");
  if (family !== 6) return false;
  // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPublicAddress(mapped[1]!);
  return !blocked.check(ip, "ipv6");
}

function refuse(): UserError {
  return new UserError("forbidden", "That address is on a private network: not contacted.");
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      if (
        addresses.length === 0 ||
        (!allowPrivate && addresses.some((a) => !isPublicAddress(a.address)))
      ) {
        return callback(refuse() as unknown as NodeJS.ErrnoException, "", 0);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export type SafePost = {
  headers: Record<string, string>;
  body: Buffer | string;
  /** Defaults to the OUTBOUND_HTTP_ALLOW_PRIVATE setting. */
  allowPrivate?: boolean;
};

/**
 * POSTs `body` to `url` and answers the response status (any status: the
 * caller decides). UserError "forbidden" for a private address or a URL
 * that is not http(s); "invalid_input" when the server cannot be reached.
 */
export async function postSafely(url: string, post: SafePost): Promise<number> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UserError("invalid_input", "That is not a web address.");
  }
  if (
    (target.protocol !== "https:" && target.protocol !== "http:") ||
    target.username ||
    target.password
  ) {
    throw new UserError("forbidden", "Only plain http and https addresses are contacted.");
  }
  const allowPrivate = post.allowPrivate ?? loadConfig().outboundHttpAllowPrivate;
  const host = target.hostname.replace(/^\[|\]$/g, "");
  // A literal address never goes through the lookup.
  if (net.isIP(host) && !allowPrivate && !isPublicAddress(host)) throw refuse();
  const client = target.protocol === "https:" ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...post.headers, "content-length": String(Buffer.byteLength(post.body)) },
        lookup: guardedLookup(allowPrivate) as unknown as net.LookupFunction,
        timeout: SAFE_POST_TIMEOUT_MS,
      },
      (response) => {
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on("close", () => resolve(response.statusCode ?? 0));
        response.on("error", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("timeout", () =>
      request.destroy(new UserError("invalid_input", `${target.host} did not answer.`)),
    );
    request.on("error", (error) =>
      reject(
        error instanceof UserError
          ? error
          : new UserError(
              "invalid_input",
              `${target.host} could not be reached (${(error as NodeJS.ErrnoException).code ?? error.message}).`,
            ),
      ),
    );
    request.end(post.body);
  });
}
