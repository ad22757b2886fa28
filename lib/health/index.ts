// lib/health: what every process answers to "are you alive?" (GET /healthz)
// and "can you serve?" (GET /readyz), for docker compose health checks, load
// balancers and operators. Owns the checks and the route table; not the
// listeners: web/server.ts answers them in front of Next.js, the gateway on
// its own small HTTP port (mail-gateway/http/server.ts).
export * from "./readiness.ts";
export * from "./routes.ts";
