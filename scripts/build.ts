// npm run build: the web app (next build) and the gateway bundle
// (scripts/lib/gateway-build.ts), as the Docker image ships them. npm start
// and npm test build whichever is missing or stale by themselves.
import path from "node:path";
import { buildGateway, GATEWAY_BUNDLE } from "./lib/gateway-build.ts";
import { buildNext } from "./lib/next-build.ts";

const root = path.resolve(import.meta.dirname, "..");
const log = (line: string) => console.log(`[build] ${line}`);
await buildNext(root, log);
const packages = await buildGateway(root, path.join(root, GATEWAY_BUNDLE));
log(`gateway: ${GATEWAY_BUNDLE}, importing ${packages.join(", ")}`);
