import "server-only";
import { forbidden, redirect } from "next/navigation";
import type { AuthenticatedAccount } from "@/lib/accounts/authenticate";
import { recordAudit } from "@/lib/admin/audit";
import { getClientIp } from "./client-ip";
import { getCurrentAccount } from "./session";

/**
 * Every admin page, server action and route handler calls this first (a
 * layout's check alone does not guard a page or an action): no session →
 * sign-in, a signed-in non-admin → 403. The role is read from the database
 * on each request, so a revoked admin is out at once.
 */
export async function requireAdmin(): Promise<AuthenticatedAccount> {
  const account = await getCurrentAccount();
  if (!account) redirect("/login");
  if (account.role !== "ADMIN") forbidden();
  return account;
}

/** Records an admin action in the audit log with the admin and their address. */
export async function auditAdminAction(
  admin: AuthenticatedAccount,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit({
    actorId: admin.id,
    actor: admin.address,
    action,
    target,
    details,
    ip: await getClientIp(),
  });
}
