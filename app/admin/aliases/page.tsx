import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/app/_server/admin";
import { listAliases } from "@/lib/admin/aliases";
import "../_overview/admin-pages.css";
import { CreateAliasForm, DeleteAliasButton, EditAliasForm, type AliasDto } from "./alias-forms";

export const metadata: Metadata = { title: "Aliases & lists" };

type Search = { q?: string; page?: string; kind?: string };

export default async function AliasesPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireAdmin();
  const params = await searchParams;
  const q = typeof params.q === "string" ? params.q.slice(0, 320) : "";
  const kind = params.kind === "alias" || params.kind === "list" ? params.kind : undefined;
  const page = Math.max(1, Number.parseInt(params.page ?? "1", 10) || 1);
  const result = await listAliases({ search: q, kind, page });
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const pageLink = (n: number) =>
    `/admin/aliases?${new URLSearchParams({ q, kind: kind ?? "", page: String(n) })}`;
  const aliases: AliasDto[] = result.aliases.map((a) => ({
    id: a.id,
    address: a.address,
    kind: a.kind,
    owner: a.owner ?? "",
    membersOnly: a.membersOnly,
    targets: a.targets,
  }));

  return (
    <>
      <h1>Aliases &amp; mailing lists</h1>
      <section aria-labelledby="new-alias">
        <h2 id="new-alias">New alias or list</h2>
        <CreateAliasForm />
      </section>
      <section aria-labelledby="all-aliases">
        <h2 id="all-aliases">All aliases and lists ({result.total})</h2>
        <form method="get" className="admin-filter" role="search">
          <label>
            Search
            <input name="q" type="search" defaultValue={q} placeholder="address or member" />
          </label>
          <label>
            Kind
            <select name="kind" defaultValue={kind ?? ""}>
              <option value="">All</option>
              <option value="alias">Aliases</option>
              <option value="list">Lists</option>
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        <table>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Kind</th>
              <th scope="col">Targets / members</th>
              <th scope="col">Owner</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {aliases.map((a) => (
              <tr key={a.id} data-testid="alias-row">
                <th scope="row">{a.address}</th>
                <td>
                  {a.kind === "list" ? "List" : "Alias"}
                  {a.membersOnly ? " (members only)" : ""}
                </td>
                <td>{a.targets.join(", ")}</td>
                <td>{a.owner || "—"}</td>
                <td>
                  <details>
                    <summary>Edit</summary>
                    <EditAliasForm alias={a} />
                  </details>
                  <DeleteAliasButton alias={a} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {aliases.length === 0 ? <p>No aliases or lists match.</p> : null}
        <nav aria-label="Pages" className="admin-pages">
          {page > 1 ? <Link href={pageLink(page - 1)}>Previous</Link> : null}
          <span>
            Page {page} of {pages}
          </span>
          {page < pages ? <Link href={pageLink(page + 1)}>Next</Link> : null}
        </nav>
      </section>
    </>
  );
}
