import type { Metadata } from "next";
import Link from "next/link";
import { listHostedDomainNames } from "@/lib/accounts/domains";
import { listInvites } from "@/lib/accounts/invites";
import { getServiceSettings } from "@/lib/accounts/settings";
import { DEFAULT_INVITE_DAYS, MAX_INVITE_DAYS, MAX_INVITE_USES } from "@/lib/config/limits";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { formatTime } from "../_components/format";
import { revokeInviteAction } from "./actions";
import { CreateInviteForm } from "./create-invite-form";
import "../_components/sections.css";
import "./invites.css";

export const metadata: Metadata = { title: "Invites" };

export default async function InvitesPage() {
  await requireAdmin();
  const [invites, domains, settings] = await Promise.all([
    listInvites(),
    listHostedDomainNames(),
    getServiceSettings(),
  ]);
  return (
    <>
      <h1>Invites</h1>
      {settings.signupMode === "invite" ? (
        <p>Signup is invite-only: people need one of these codes to create an account.</p>
      ) : (
        <p className="admin-notice" role="status">
          Signup is {settings.signupMode}, so codes are not asked for. Switch to invite-only in{" "}
          <Link href="/admin/settings">Settings</Link>.
        </p>
      )}
      <h2>New invite</h2>
      <p>
        The code and its link are shown once: only a hash of the code is kept. A domain-limited
        invite works on that domain even when its public signup is off.
      </p>
      <CreateInviteForm
        domains={domains}
        defaultDays={DEFAULT_INVITE_DAYS}
        maxDays={MAX_INVITE_DAYS}
        maxUses={MAX_INVITE_USES}
      />
      <h2>Invites made</h2>
      <table aria-label="Invites">
        <thead>
          <tr>
            <th>Status</th>
            <th>For</th>
            <th>Uses</th>
            <th>Expires</th>
            <th>Made by</th>
            <th>Made</th>
            <th>Action</th>
          </tr>
        </thead>
        <tbody>
          {invites.map((invite) => (
            <tr key={invite.id} data-invite-id={invite.id}>
              <td className="invite-status">{invite.status}</td>
              <td>{invite.domain ?? "any signup domain"}</td>
              <td>
                {invite.useCount} / {invite.maxUses}
              </td>
              <td>{formatTime(invite.expiresAt)}</td>
              <td>{invite.creator}</td>
              <td>{formatTime(invite.createdAt)}</td>
              <td>
                {invite.status === "active" ? (
                  <ActionForm action={revokeInviteAction} aria-label="Revoke invite">
                    <input type="hidden" name="id" value={invite.id} />
                    <button className="button quiet" type="submit">
                      Revoke
                    </button>
                  </ActionForm>
                ) : invite.revokedAt ? (
                  `revoked ${formatTime(invite.revokedAt)}`
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {invites.length === 0 ? <p>No invites yet.</p> : null}
    </>
  );
}
