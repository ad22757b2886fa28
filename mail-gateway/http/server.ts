// The gateway's small HTTP listener (GATEWAY_HTTP_PORT, on GATEWAY_HTTP_HOST):
// the health probes of lib/health now, metrics later; each is an entry of
// the route table it is given. Anything else is a 404.
import http from "node:http";
import { answerRoute, jsonAnswer, writeAnswer, type HttpRoutes } from "../../lib/health/index.ts";

export type HttpListener = { port: number; close(): Promise<void> };

/** Listens on host:port (0 picks a free port); rejects when it cannot (a port taken). */
export async function startHttpListener(options: {
  port: number;
  host: string;
  routes: HttpRoutes;
  log: (line: string) => void;
}): Promise<HttpListener> {
  const server = http.createServer((req, res) => {
    if (!answerRoute(options.routes, req, res)) {
      writeAnswer(res, jsonAnswer(404, { status: "not found" }), req.method !== "HEAD");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Later errors (accept failing under EMFILE) are logged; the listener stays.
  server.on("error", (error) => options.log(`gateway: http listener error: ${error.message}`));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
