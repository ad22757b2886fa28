"use client";

// The create-invite form; after a success it shows the new code and its
// signup link, each with a copy button, for as long as the page stays open.
import { useActionState } from "react";
import { ActionOutcome } from "../_components/action-form";
import { CopyButton } from "../_components/copy-button";
import { createInviteAction } from "./actions";
import type { CreateInviteState } from "./invite-state";

type Props = { domains: string[]; defaultDays: number; maxDays: number; maxUses: number };

export function CreateInviteForm({ domains, defaultDays, maxDays, maxUses }: Props) {
  const [state, formAction, pending] = useActionState<CreateInviteState, FormData>(
    createInviteAction,
    {},
  );
  const created = state.created;
  return (
    <>
      <form
        action={formAction}
        className="admin-form admin-row"
        aria-label="Create an invite"
        aria-busy={pending}
      >
        <div className="field">
          <label htmlFor="invite-domain">Domain</label>
          <select id="invite-domain" name="domain" defaultValue="">
            <option value="">Any signup domain</option>
            {domains.map((d) => (
              <option key={d} value={d}>
                {d} only
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="invite-uses">Uses</label>
          <input
            id="invite-uses"
            name="maxUses"
            type="number"
            min={1}
            max={maxUses}
            defaultValue={1}
          />
        </div>
        <div className="field">
          <label htmlFor="invite-days">Valid for (days)</label>
          <input
            id="invite-days"
            name="days"
            type="number"
            min={1}
            max={maxDays}
            defaultValue={defaultDays}
          />
        </div>
        <button className="button" type="submit" disabled={pending}>
          Create invite
        </button>
      </form>
      <ActionOutcome state={state} />
      {created ? (
        <section aria-label="New invite" className="admin-invite-created">
          <dl className="admin-facts">
            <dt>Code</dt>
            <dd>
              <code className="invite-code">{created.code}</code>{" "}
              <CopyButton value={created.code} label="Copy invite code" />
            </dd>
            <dt>Signup link</dt>
            <dd>
              <code className="invite-link">{created.link}</code>{" "}
              <CopyButton value={created.link} label="Copy invite link" />
            </dd>
            <dt>Good for</dt>
            <dd>
              {created.maxUses === 1 ? "one signup" : `${created.maxUses} signups`}
              {created.domain ? ` at ${created.domain}` : ""}, until{" "}
              {created.expiresAt.replace("T", " ").slice(0, 16)} UTC
            </dd>
          </dl>
        </section>
      ) : null}
    </>
  );
}
