import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getAccountForAdmin } from "@/lib/accounts/list-accounts";
import { listSignInEvents } from "@/lib/accounts/sign-in-events";
import { clientNetwork } from "@/lib/auth/client-network";
import { listAddressThrottles, listNetworkThrottles } from "@/lib/auth/login-throttle";
import { Icon } from "@/app/_components/icons";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../../_components/action-form";
import { formatBytes, formatTime } from "../../_components/format";
import { ThrottleTable } from "../../_components/throttle-table";
import {
  deleteAccountAction,
  liftThrottleAction,
  resetPasswordAction,
  resetTwoStepAction,
  setDisabledAction,
  setQuotaAction,
  setRoleAction,
} from "../actions";

const OUTCOMES = { SUCCESS: "Signed in", FAILURE: "Failed", THROTTLED: "Refused (throttled)" };
import "../../_components/sections.css";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const account = await getAccountForAdmin((await params).id);
  if (!account) notFound();
  const [throttles, events] = await Promise.all([
    listAddressThrottles(account.address),
    listSignInEvents(account.id, { limit: 20 }),
  ]);
  // Networks locked as a whole that refused this account lately.
  const refusedFrom = events
    .filter((e) => e.outcome === "THROTTLED")
    .map((e) => clientNetwork(e.ip));
  const networkThrottles = await listNetworkThrottles([...new Set(refusedFrom)]);
  const locked = throttles.filter((t) => t.lockedUntil).length;
  const self = account.id === admin.id;
  const quotaMib = String(account.quotaBytes / BigInt(1024 * 1024));
  const hidden = <input type="hidden" name="address" value={account.address} />;
  return (
    <>
      <p>
        <Link href="/admin/users" className="back-link">
          <Icon name="back" /> Users
        </Link>
      </p>
      <h1>{account.address}</h1>
      <dl className="admin-facts">
        <dt>Name</dt>
        <dd>{account.displayName}</dd>
        <dt>Role</dt>
        <dd data-testid="role">{account.role === "ADMIN" ? "Admin" : "User"}</dd>
        <dt>Status</dt>
        <dd data-testid="status">{account.disabled ? "Disabled" : "Active"}</dd>
        <dt>Storage</dt>
        <dd data-testid="storage">
          {formatBytes(account.usedBytes)} used of {formatBytes(account.quotaBytes)}
        </dd>
        <dt>Messages</dt>
        <dd>{account._count.messages}</dd>
        <dt>Created</dt>
        <dd>{formatTime(account.createdAt)}</dd>
        <dt>Last sign-in</dt>
        <dd>{formatTime(account.lastLoginAt)}</dd>
        <dt>Two-step verification</dt>
        <dd data-testid="two-step">
          {account.twoStepEnabledAt ? `On since ${formatTime(account.twoStepEnabledAt)}` : "Off"}
        </dd>
      </dl>

      <h2>Sign-in throttling</h2>
      <p data-testid="throttle-state">
        {throttles.length === 0
          ? "Not throttled."
          : locked > 0
            ? `Locked from ${locked} network${locked === 1 ? "" : "s"}; slowed from ${throttles.length - locked} more.`
            : `Slowed from ${throttles.length} network${throttles.length === 1 ? "" : "s"}.`}
      </p>
      {throttles.length > 0 ? (
        <ThrottleTable rows={throttles} label="Throttled networks" showAddress={false} />
      ) : null}
      {/* Always here, so its notice stays once the table is gone. */}
      <ActionForm action={liftThrottleAction} aria-label="Lift throttling">
        {hidden}
        <button className="button" type="submit">
          Lift
        </button>
      </ActionForm>
      {networkThrottles.length > 0 ? (
        <>
          <p>Networks locked for every address that refused this account:</p>
          <ThrottleTable rows={networkThrottles} label="Locked networks" showAddress />
        </>
      ) : null}

      <h2>Recent sign-ins</h2>
      {events.length === 0 ? (
        <p>No sign-ins recorded.</p>
      ) : (
        <table aria-label="Recent sign-ins">
          <thead>
            <tr>
              <th>When</th>
              <th>Outcome</th>
              <th>Protocol</th>
              <th>IP</th>
              <th>Times</th>
              <th>Browser</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>{formatTime(e.lastAt)}</td>
                <td>{OUTCOMES[e.outcome]}</td>
                <td>{e.protocol}</td>
                <td>{e.ip}</td>
                <td>{e.count}</td>
                <td>{e.userAgent}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Access</h2>
      <ActionForm action={setDisabledAction} aria-label="Enable or disable">
        {hidden}
        <input type="hidden" name="disabled" value={account.disabled ? "false" : "true"} />
        <button className="button" type="submit">
          {account.disabled ? "Enable account" : "Disable account"}
        </button>
        {self ? <span> (this is you)</span> : null}
      </ActionForm>
      <ActionForm action={setRoleAction} aria-label="Admin role">
        {hidden}
        <input type="hidden" name="role" value={account.role === "ADMIN" ? "USER" : "ADMIN"} />
        <button className="button" type="submit">
          {account.role === "ADMIN" ? "Revoke admin role" : "Make admin"}
        </button>
      </ActionForm>

      <h2>Password</h2>
      <ActionForm action={resetPasswordAction} aria-label="Reset password">
        {hidden}
        <div className="field">
          <label htmlFor="reset-password">New password</label>
          <input id="reset-password" name="password" type="password" autoComplete="new-password" />
        </div>
        <button className="button" type="submit">
          Reset password
        </button>
      </ActionForm>

      <h2>Two-step verification</h2>
      <p>
        Removes the account&apos;s second factors (a lost phone or key) and turns two-step off: the
        user signs in with the password and enrols again. App passwords are kept.
      </p>
      <ActionForm
        action={resetTwoStepAction}
        aria-label="Reset second factor"
        confirm={`Reset the second factor of ${account.address}?`}
      >
        <input type="hidden" name="id" value={account.id} />
        <button className="button" type="submit">
          Reset second factor
        </button>
      </ActionForm>

      <h2>Quota</h2>
      <ActionForm action={setQuotaAction} aria-label="Quota">
        {hidden}
        <div className="field">
          <label htmlFor="quota">Quota (MiB)</label>
          <input id="quota" name="quotaMib" inputMode="numeric" defaultValue={quotaMib} />
        </div>
        <button className="button" type="submit">
          Set quota
        </button>
      </ActionForm>

      <h2>Delete</h2>
      <p>
        Deletes the account with all its mail ({account._count.messages} messages). This cannot be
        undone.
      </p>
      <ActionForm action={deleteAccountAction} aria-label="Delete account">
        {hidden}
        <div className="field">
          <label htmlFor="confirm-delete">Type {account.address} to confirm</label>
          <input id="confirm-delete" name="confirm" autoComplete="off" />
        </div>
        <button className="button danger" type="submit">
          Delete account and mail
        </button>
      </ActionForm>
    </>
  );
}
