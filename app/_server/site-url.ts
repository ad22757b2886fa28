import "server-only";
import { headers } from "next/headers";
import { loadConfig } from "@/lib/config";
import { requestOrigin, type OriginPolicy } from "@/lib/http/request-origin";

/** Where this app's origin comes from: the request's Host, a trusted proxy's, PUBLIC_URL. */
export function originPolicy(): OriginPolicy {
  const config = loadConfig();
  return { trustProxy: config.trustProxy, publicOrigin: config.web.publicOrigin };
}

/**
 * The site's URL for links people follow from elsewhere (invites):
 * PUBLIC_URL, else the address this request was made to.
 */
export async function siteUrl(): Promise<string> {
  const config = loadConfig();
  if (config.web.publicOrigin) return config.web.publicUrl;
  return requestOrigin(await headers(), originPolicy()) ?? config.web.publicUrl;
}
