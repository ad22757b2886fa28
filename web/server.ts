// The web app's process: Next.js behind a small HTTP server of our own, which
// answers the health probes (lib/health: /healthz, /readyz) itself and
// records the client's address (the socket's, or X-Forwarded-For's first hop
// when TRUST_PROXY is set) in a header the app can trust for throttling, and
// passes a proxy's X-Forwarded-* on only when TRUST_PROXY is set.
import http from "node:http";
import path from "node:path";
import next from "next";
import { loadConfig } from "../lib/config/index.ts";
import { disconnectDb } from "../lib/db.ts";
import { answerRoute, healthRoutes } from "../lib/health/index.ts";

const CLIENT_IP_HEADER = "x-mail-client-ip";
// What a reverse proxy tells about the browser's request. Anyone can send
// these, so without TRUST_PROXY they are dropped and Next.js, next-auth and
// the app see the Host header and the plain-HTTP socket as they are.
const FORWARDED_HEADERS = [
  "forwarded",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-for",
];
const root = path.resolve(import.meta.dirname, "..");
const config = loadConfig();
const dev = process.argv.includes("--dev");

// next-auth's idea of the site's URL (sign-out and callback redirects, the
// cookies' Secure flag). With PUBLIC_URL that URL; without it, the address
// each request was made to (AUTH_TRUST_HOST: its X-Forwarded-Host/-Proto,
// which Next.js fills from the Host header and the socket unless a trusted
// proxy set them), so signing in at http://127.0.0.1:3000 or a LAN address
// stays there instead of going to http://localhost:3000.
if (config.web.publicOrigin) process.env.NEXTAUTH_URL ??= config.web.publicUrl;
else if (!process.env.NEXTAUTH_URL) process.env.AUTH_TRUST_HOST ??= "true";
if (!process.env.NEXTAUTH_SECRET) {
  console.error("web: NEXTAUTH_SECRET is not set (npm start generates one in the data folder)");
  process.exit(1);
}

function clientIp(req: http.IncomingMessage): string {
  if (config.trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return first;
  }
  const address = req.socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** A chain of proxies appends to X-Forwarded-Host/-Proto: the first is the browser's. */
function keepFirstHop(req: http.IncomingMessage) {
  for (const name of ["x-forwarded-host", "x-forwarded-proto"]) {
    const first = req.headers[name]?.toString().split(",")[0]?.trim();
    if (first) req.headers[name] = first;
  }
}

const app = next({ dev, dir: root, hostname: config.web.host, port: config.web.port });
await app.prepare();
const handle = app.getRequestHandler();

// No page, search or id takes a NUL, and Postgres text cannot hold one: lib
// refuses it, but a page would show that refusal as a server error, so a
// URL carrying %00 gets a plain 400 here. (URLSearchParams turns other
// invalid percent-encoded UTF-8 into U+FFFD, which is harmless.)
const NUL_IN_URL = /%00/;

const server = http.createServer((req, res) => {
  if (answerRoute(healthRoutes, req, res)) return;
  if (NUL_IN_URL.test(req.url ?? "")) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("Bad request: the address contains a NUL character (%00).");
    return;
  }
  req.headers[CLIENT_IP_HEADER] = clientIp(req);
  if (!config.trustProxy) for (const name of FORWARDED_HEADERS) delete req.headers[name];
  else keepFirstHop(req);
  handle(req, res).catch((error: unknown) => {
    console.error("web: request failed", error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal error");
  });
});

// Next.js logs uncaught exceptions and carries on (its process-error
// handlers), so a port already taken would leave a process that serves
// nothing: say so and exit, for the supervisor (or docker) to act on.
const listenFailed = (error: Error) => {
  console.error(`web: cannot listen on ${config.web.host}:${config.web.port}: ${error.message}`);
  process.exit(1);
};
server.once("error", listenFailed);
server.listen(config.web.port, config.web.host, () => {
  server.off("error", listenFailed);
  server.on("error", (error) => console.error(`web: server error: ${error.message}`));
  console.log(`web: listening on http://${config.web.host}:${config.web.port}`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`web: ${signal}, stopping`);
  server.close();
  server.closeIdleConnections();
  // Give in-flight requests a moment, then drop what is left.
  const force = setTimeout(() => server.closeAllConnections(), 5_000);
  force.unref();
  await new Promise<void>((resolve) => server.once("close", () => resolve()));
  await disconnectDb().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
