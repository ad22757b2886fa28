// The HTTP side of the probes: a table of routes (path -> answer) that a
// process's listener serves, so that a later route (/metrics) is one more
// entry. Answers are short JSON bodies, never cached.
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkReadiness } from "./readiness.ts";

export type HttpAnswer = { status: number; contentType: string; body: string };
export type HttpRoutes = Readonly<Record<string, () => Promise<HttpAnswer>>>;

export function jsonAnswer(status: number, value: unknown): HttpAnswer {
  return { status, contentType: "application/json", body: JSON.stringify(value) + "\n" };
}

export const healthRoutes: HttpRoutes = {
  // Alive: the process's event loop answers. Says nothing of the database.
  "/healthz": async () => jsonAnswer(200, { status: "alive" }),
  // Ready: it can serve (lib/health/readiness.ts); 503 tells a balancer to wait.
  "/readyz": async () => {
    const readiness = await checkReadiness();
    const { ready, ...checks } = readiness;
    return jsonAnswer(ready ? 200 : 503, { status: ready ? "ready" : "not ready", ...checks });
  },
};

/** Writes `answer` (without its body for HEAD). */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer, withBody = true): void {
  res.writeHead(answer.status, {
    "content-type": answer.contentType,
    "content-length": Buffer.byteLength(answer.body),
    "cache-control": "no-store",
  });
  res.end(withBody ? answer.body : undefined);
}

/**
 * Answers `req` when its path is one of `routes` and returns true; returns
 * false, having written nothing, for any other path.
 */
export function answerRoute(
  routes: HttpRoutes,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const pathname = (req.url ?? "/").split("?")[0]!;
  const route = Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
  if (!route) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    writeAnswer(res, jsonAnswer(405, { status: "method not allowed" }), true);
    return true;
  }
  route().then(
    (answer) => writeAnswer(res, answer, req.method === "GET"),
    (error: unknown) => {
      console.error(`health: ${pathname} failed:`, error);
      writeAnswer(res, jsonAnswer(500, { status: "error" }), req.method === "GET");
    },
  );
  return true;
}
