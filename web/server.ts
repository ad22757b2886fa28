// The web app's process: Next.js behind a small HTTP server of our own, which
// records the client's address (the socket's, or X-Forwarded-For's first hop
// when TRUST_PROXY is set) in a header the app can trust for throttling.
import http from "node:http";
import path from "node:path";
import next from "next";
import { loadConfig } from "../lib/config/index.ts";
import { disconnectDb } from "../lib/db.ts";

const CLIENT_IP_HEADER = "x-mail-client-ip";
const root = path.resolve(import.meta.dirname, "..");
const config = loadConfig();
const dev = process.argv.includes("--dev");

process.env.NEXTAUTH_URL ??= config.web.publicUrl;
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

const app = next({ dev, dir: root, hostname: config.web.host, port: config.web.port });
await app.prepare();
const handle = app.getRequestHandler();

// No page, search or id takes a NUL, and Postgres text cannot hold one: lib
// refuses it, but a page would show that refusal as a server error, so a
// URL carrying %00 gets a plain 400 here. (URLSearchParams turns other
// invalid percent-encoded UTF-8 into U+FFFD, which is harmless.)
const NUL_IN_URL = /%00/;

const server = http.createServer((req, res) => {
  if (NUL_IN_URL.test(req.url ?? "")) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("Bad request: the address contains a NUL character (%00).");
    return;
  }
  req.headers[CLIENT_IP_HEADER] = clientIp(req);
  handle(req, res).catch((error: unknown) => {
    console.error("web: request failed", error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal error");
  });
});

server.listen(config.web.port, config.web.host, () => {
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
