import type { Metadata } from "next";
import Link from "next/link";
import { listAuditLog } from "@/lib/admin/audit";
import { listActiveThrottles } from "@/lib/auth/login-throttle";
import { requireAdmin } from "@/app/_server/admin";
import { formatTime } from "../_components/format";
import { ThrottleTable } from "../_components/throttle-table";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Audit log" };

type Search = { action?: string; actor?: string; target?: string; before?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireAdmin();
  const search = await searchParams;
  const filter = {
    action: search.action?.slice(0, 100) ?? "",
    actor: search.actor?.slice(0, 320) ?? "",
    target: search.target?.slice(0, 320) ?? "",
  };
  const [{ entries, nextBefore }, throttles] = await Promise.all([
    listAuditLog({
      ...filter,
      before: search.before && UUID.test(search.before) ? search.before : undefined,
    }),
    listActiveThrottles(),
  ]);
  const keep = Object.fromEntries(Object.entries(filter).filter(([, v]) => v));
  return (
    <>
      <h1>Audit log</h1>
      <h2>Failed sign-ins now</h2>
      <p>
        Addresses and networks with recent failed sign-ins: their attempts are answered late, and
        locked ones refused. Locks are also in the log below (<code>signin.</code> actions).
      </p>
      {throttles.length === 0 ? (
        <p>None.</p>
      ) : (
        <ThrottleTable rows={throttles} label="Failed sign-ins now" showAddress />
      )}
      <h2>Log</h2>
      <form className="admin-search" role="search" action="/admin/audit">
        <label htmlFor="audit-action">Action</label>
        <input
          id="audit-action"
          name="action"
          defaultValue={filter.action}
          placeholder='e.g. account.disable or "account."'
        />
        <label htmlFor="audit-actor">Actor</label>
        <input id="audit-actor" name="actor" defaultValue={filter.actor} />
        <label htmlFor="audit-target">Target</label>
        <input id="audit-target" name="target" defaultValue={filter.target} />
        <button className="button" type="submit">
          Filter
        </button>
      </form>
      <table aria-label="Audit entries">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>IP</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.createdAt)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>{e.target}</td>
              <td>{e.ip}</td>
              <td>
                <code>{JSON.stringify(e.details)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 ? <p>No entries match.</p> : null}
      {nextBefore ? (
        <p>
          <Link href={`/admin/audit?${new URLSearchParams({ ...keep, before: nextBefore })}`}>
            Older entries
          </Link>
        </p>
      ) : null}
    </>
  );
}
