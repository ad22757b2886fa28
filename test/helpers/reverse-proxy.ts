// A reverse proxy in front of the web app, as nginx's plain `proxy_pass`
// runs one: the upstream gets its own address as Host, and the browser's
// Host, scheme and address in X-Forwarded-Host/-Proto/-For. Streams both
// ways (uploads, the SSE stream).
import http from "node:http";
import { after } from "node:test";
import { getFreePort } from "./net.ts";

export async function startReverseProxy(upstreamPort: number): Promise<{ url: string }> {
  const port = await getFreePort();
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: upstreamPort,
        method: req.method,
        path: req.url,
        // A connection per request: a pooled one the app closed while idle
        // would fail the next request (nginx opens one per request too).
        agent: false,
        headers: {
          ...req.headers,
          host: `127.0.0.1:${upstreamPort}`,
          "x-forwarded-host": req.headers.host ?? "",
          "x-forwarded-proto": "http",
          "x-forwarded-for": req.socket.remoteAddress ?? "",
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (process.env.TEST_VERBOSE) console.log(`[proxy] ${req.method} ${req.url}: ${error}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://localhost:${port}` };
}
