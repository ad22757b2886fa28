import type { Metadata } from "next";
import { listHostedDomains } from "@/lib/accounts/manage-domains";
import { listTwoStepRequirements } from "@/lib/auth/two-step-policy";
import { MAX_TWO_STEP_GRACE_DAYS } from "@/lib/config/limits";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { formatTime } from "../_components/format";
import { liftTwoStepAction, requireTwoStepAction } from "./actions";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Security" };

// /admin/security: who must use two-step verification, from when. Whether
// each user has it on is on the Users pages, with the reset.
export default async function SecurityPage() {
  await requireAdmin();
  const [requirements, domains] = await Promise.all([
    listTwoStepRequirements(),
    listHostedDomains(),
  ]);
  return (
    <>
      <h1>Security</h1>
      <h2>Required two-step verification</h2>
      <p>
        Accounts covered must turn on two-step verification. Until the grace period ends they are
        reminded; after it they are sent to their Security settings before they reach mail.
      </p>
      {requirements.length === 0 ? (
        <p data-testid="no-requirements">Two-step verification is not required for anyone.</p>
      ) : (
        <table aria-label="Two-step requirements">
          <thead>
            <tr>
              <th>For</th>
              <th>Enforced from</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {requirements.map((r) => (
              <tr key={r.scope}>
                <td>{r.label}</td>
                <td>{formatTime(r.enforcedFrom)}</td>
                <td>
                  <ActionForm action={liftTwoStepAction} aria-label={`Lift for ${r.label}`}>
                    <input type="hidden" name="scope" value={r.scope} />
                    <button className="button quiet" type="submit">
                      Stop requiring
                    </button>
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ActionForm action={requireTwoStepAction} aria-label="Require two-step verification">
        <div className="field">
          <label htmlFor="two-step-scope">Require for</label>
          <select id="two-step-scope" name="scope" defaultValue="admins">
            <option value="admins">All admins</option>
            {domains.map((d) => (
              <option key={d.id} value={d.id}>
                Everyone at {d.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="grace-days">Grace period (days, 0 for at once)</label>
          <input
            id="grace-days"
            name="graceDays"
            inputMode="numeric"
            defaultValue="14"
            max={MAX_TWO_STEP_GRACE_DAYS}
          />
        </div>
        <button className="button" type="submit">
          Require two-step verification
        </button>
      </ActionForm>
    </>
  );
}
