"use server";

// Signup invites: each action checks the admin role first, makes one lib
// call (lib/accounts/invites.ts) and is audited. The code never reaches the
// audit log: only the invite's id does.
import { createInvite, revokeInvite, type CreatedInvite } from "@/lib/accounts/invites";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import { siteUrl } from "@/app/_server/mail";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";
import type { CreateInviteState } from "./invite-state";

/** An empty field takes the default; anything else must be a whole number (the lib says so). */
function optionalInteger(form: FormData, name: string): number | undefined {
  const text = formText(form, name).trim();
  return text ? Number(text) : undefined;
}

export async function createInviteAction(
  _previous: CreateInviteState,
  form: FormData,
): Promise<CreateInviteState> {
  const admin = await requireAdmin();
  let created: CreatedInvite | undefined;
  const state = await runAdminAction("/admin/invites", async () => {
    created = await createInvite(
      {
        domain: formText(form, "domain"),
        maxUses: optionalInteger(form, "maxUses"),
        days: optionalInteger(form, "days"),
      },
      { accountId: admin.id, label: admin.address },
      await siteUrl(),
    );
    await auditAdminAction(admin, "invite.create", created.id, {
      domain: created.domain,
      maxUses: created.maxUses,
      expiresAt: created.expiresAt.toISOString(),
    });
    return "Invite created. Copy the code or link now: it is not shown again.";
  });
  if (state.error || !created) return state;
  const { code, link, domain, maxUses, expiresAt } = created;
  return { ...state, created: { code, link, domain, maxUses, expiresAt: expiresAt.toISOString() } };
}

export async function revokeInviteAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/invites", async () => {
    const invite = await revokeInvite(formText(form, "id"));
    await auditAdminAction(admin, "invite.revoke", invite.id, { domain: invite.domain });
    return "Invite revoked.";
  });
}
