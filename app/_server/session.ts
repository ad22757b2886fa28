import "server-only";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { getSessionAccount, type AuthenticatedAccount } from "@/lib/accounts/authenticate";
import { authOptions } from "./auth-options";

/**
 * The signed-in, enabled account, checked against the database on every
 * request (a disabled account or a bumped sessionVersion is out at once);
 * null when there is none.
 */
export async function getCurrentAccount(): Promise<AuthenticatedAccount | null> {
  const session = await getServerSession(authOptions);
  if (!session?.accountId) return null;
  return getSessionAccount(session.accountId, session.sessionVersion);
}

/** For pages and server actions: the account, or a redirect to sign-in. */
export async function requireAccount(): Promise<AuthenticatedAccount> {
  const account = await getCurrentAccount();
  if (!account) redirect("/login");
  return account;
}
