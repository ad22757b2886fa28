import "server-only";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import type { SessionAccount } from "@/lib/accounts/web-sessions";
import { authOptions } from "./auth-options";
import { checkSession } from "./session-check";

/**
 * The signed-in, enabled account, checked against the database on every
 * request (a signed-out session, a disabled account or a bumped
 * sessionVersion is out at once); null when there is none.
 */
export async function getCurrentAccount(): Promise<SessionAccount | null> {
  const session = await getServerSession(authOptions);
  if (!session?.accountId) return null;
  return checkSession(session.accountId, session.sessionId, session.sessionVersion);
}

/** For pages and server actions: the account, or a redirect to sign-in. */
export async function requireAccount(): Promise<SessionAccount> {
  const account = await getCurrentAccount();
  if (!account) redirect("/login");
  return account;
}
