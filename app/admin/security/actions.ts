"use server";

// Two-step requirements (lib/auth/two-step-policy.ts). Each action checks the
// admin role first (requireAdmin: 403 for others), makes one lib call and
// records it in the audit log. Next.js refuses server actions whose Origin
// is not this site: that is their CSRF protection.
import { liftTwoStepRequirement, requireTwoStep } from "@/lib/auth/two-step-policy";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";

export async function requireTwoStepAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/security", async () => {
    const scope = formText(form, "scope");
    const { label, enforcedFrom } = await requireTwoStep(
      scope === "admins" ? { kind: "admins" } : { kind: "domain", domainId: scope },
      formText(form, "graceDays").trim() || "0",
    );
    await auditAdminAction(admin, "two_step.require", label, {
      enforcedFrom: enforcedFrom.toISOString(),
    });
    return `Two-step verification is required for ${label} from ${enforcedFrom.toUTCString()}.`;
  });
}

export async function liftTwoStepAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/security", async () => {
    const label = await liftTwoStepRequirement(formText(form, "scope"));
    await auditAdminAction(admin, "two_step.lift", label);
    return `Two-step verification is no longer required for ${label}.`;
  });
}
