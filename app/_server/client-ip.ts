import "server-only";
import { headers } from "next/headers";

// web/server.ts writes the socket's address into this header on every
// request, overwriting anything a client sent, so it can be trusted.
export const CLIENT_IP_HEADER = "x-mail-client-ip";

export function clientIpFromHeaders(get: (name: string) => string | null | undefined): string {
  return get(CLIENT_IP_HEADER) || "unknown";
}

export async function getClientIp(): Promise<string> {
  const h = await headers();
  return clientIpFromHeaders((name) => h.get(name));
}
