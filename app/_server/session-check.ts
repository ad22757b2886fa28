import "server-only";
import { cache } from "react";
import { getSessionAccount } from "@/lib/accounts/web-sessions";
import { getClientIp } from "./client-ip";

/**
 * The account of a live web session, or null: one database check per
 * request, shared by next-auth's jwt callback and getCurrentAccount.
 */
export const checkSession = cache(
  async (accountId: string, sessionId: string, sessionVersion: number) =>
    getSessionAccount({ accountId, sessionId, sessionVersion, ip: await getClientIp() }),
);
