import type { Metadata } from "next";
import Link from "next/link";
import { listAccounts } from "@/lib/accounts/list-accounts";
import { listSignupDomains } from "@/lib/accounts/domains";
import { getServiceSettings } from "@/lib/accounts/settings";
import { lockedAddresses } from "@/lib/auth/login-throttle";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { formatBytes } from "../_components/format";
import { createAccountAction } from "./actions";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Users" };

type Search = { q?: string; after?: string; deleted?: string };

export default async function UsersPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireAdmin();
  const { q = "", after, deleted } = await searchParams;
  const [{ accounts, nextAfter }, settings, domains] = await Promise.all([
    listAccounts({ query: q, after }),
    getServiceSettings(),
    listSignupDomains(),
  ]);
  const locked = await lockedAddresses(accounts.map((a) => a.address));
  const defaultQuotaMib = String(settings.defaultQuotaBytes / BigInt(1024 * 1024));
  return (
    <>
      <h1>Users</h1>
      {deleted ? (
        <p className="admin-notice" role="status">
          Deleted {deleted}.
        </p>
      ) : null}
      <form className="admin-search" role="search" action="/admin/users">
        <label htmlFor="user-search">Search address or name</label>
        <input id="user-search" name="q" type="search" defaultValue={q} />
        <button className="button" type="submit">
          Search
        </button>
      </form>
      <table aria-label="Accounts">
        <thead>
          <tr>
            <th>Address</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
            <th>Storage</th>
            <th>Two-step</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id}>
              <td>
                <Link href={`/admin/users/${a.id}`}>{a.address}</Link>
              </td>
              <td>{a.displayName}</td>
              <td>{a.role === "ADMIN" ? "Admin" : "User"}</td>
              <td>
                {a.disabled ? "Disabled" : "Active"}
                {locked.has(a.address) ? " · sign-in locked" : ""}
              </td>
              <td>
                {formatBytes(a.usedBytes)} / {formatBytes(a.quotaBytes)}
              </td>
              <td data-testid="two-step">{a.twoStepEnabledAt ? "On" : "Off"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {accounts.length === 0 ? <p>No accounts match.</p> : null}
      {nextAfter ? (
        <p>
          <Link
            href={`/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), after: nextAfter })}`}
          >
            Next page
          </Link>
        </p>
      ) : null}

      <h2>Create an account</h2>
      <ActionForm action={createAccountAction} aria-label="Create an account">
        <div className="field">
          <label htmlFor="new-address">Address</label>
          <input
            id="new-address"
            name="address"
            required
            placeholder={`name@${domains[0] ?? "example.org"}`}
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor="new-name">Name</label>
          <input id="new-name" name="displayName" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="new-password">Initial password</label>
          <input id="new-password" name="password" type="password" autoComplete="new-password" />
        </div>
        <div className="field">
          <label htmlFor="new-quota">Quota (MiB)</label>
          <input
            id="new-quota"
            name="quotaMib"
            inputMode="numeric"
            placeholder={`default ${defaultQuotaMib}`}
          />
        </div>
        <div className="field">
          <label>
            <input type="checkbox" name="admin" /> Administrator
          </label>
        </div>
        <button className="button" type="submit">
          Create account
        </button>
      </ActionForm>
    </>
  );
}
