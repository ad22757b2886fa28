import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/app/_server/admin";
import { listQueue, QUEUE_STATUSES, type QueueFilter, type QueueStatus } from "@/lib/admin/queue";
import { QueueTable, type QueueRowDto } from "./queue-table";
import "../_overview/admin-pages.css";

export const metadata: Metadata = { title: "Outbound queue" };

type Search = { status?: string; domain?: string; q?: string; before?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Times in UTC, made on the server so both renders agree.
const time = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19).replace("T", " ")} UTC` : "");

export default async function QueuePage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireAdmin();
  const params = await searchParams;
  const status = QUEUE_STATUSES.includes(params.status as QueueStatus)
    ? (params.status as QueueStatus)
    : undefined;
  const filter: QueueFilter = {
    status,
    domain: typeof params.domain === "string" ? params.domain.slice(0, 253) : "",
    search: typeof params.q === "string" ? params.q.slice(0, 320) : "",
  };
  const before = params.before && UUID.test(params.before) ? params.before : undefined;
  const result = await listQueue(filter, before);
  const rows: QueueRowDto[] = result.rows.map((r) => ({
    id: r.id,
    recipient: r.recipient,
    mailFrom: r.mailFrom,
    status: r.status,
    attempts: r.attempts,
    lastReply: r.lastReply ?? "",
    nextAttemptAt: time(r.nextAttemptAt),
    createdAt: time(r.createdAt),
    leased: r.leased,
    waiting: r.status === "queued" || r.status === "deferred",
  }));
  const query = (extra: Record<string, string>) =>
    `/admin/queue?${new URLSearchParams({
      status: status ?? "",
      domain: filter.domain ?? "",
      q: filter.search ?? "",
      ...extra,
    })}`;

  return (
    <>
      <h1>Outbound queue</h1>
      <form method="get" className="admin-filter" role="search" aria-label="Filter the queue">
        <label>
          Status
          <select name="status" defaultValue={status ?? ""}>
            <option value="">All</option>
            {QUEUE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Domain
          <input name="domain" type="text" defaultValue={filter.domain} placeholder="example.org" />
        </label>
        <label>
          Recipient or sender
          <input name="q" type="search" defaultValue={filter.search} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <p>
        {result.total} {result.total === 1 ? "recipient" : "recipients"} match.
      </p>
      <QueueTable
        rows={rows}
        total={result.total}
        filter={{ status, domain: filter.domain, search: filter.search }}
      />
      <nav aria-label="Pages" className="admin-pages">
        {before ? <Link href={query({})}>Newest</Link> : null}
        {result.nextBefore ? <Link href={query({ before: result.nextBefore })}>Older</Link> : null}
      </nav>
    </>
  );
}
