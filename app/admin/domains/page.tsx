import type { Metadata } from "next";
import { domainDnsRecords, listHostedDomains } from "@/lib/accounts/manage-domains";
import { describeRoleRoutes, type RoleRoute } from "@/lib/delivery/role-routes";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { CopyButton } from "../_components/copy-button";
import {
  addDomainAction,
  removeDomainAction,
  rotateDkimAction,
  setCatchAllAction,
  setDomainSignupAction,
} from "./actions";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Domains" };

/** Where mail to a role address goes, in a phrase. */
function routeText(route: RoleRoute): string {
  if (route.full) return "to the admins, whose mailboxes are all full (senders retry later)";
  if (route.held !== null) return `kept for the first admin (${route.held} waiting)`;
  const to = route.recipients.join(", ");
  if (route.kind === "role") return `to the admins (${to})`;
  if (route.kind === "list") return `to the list's ${route.recipients.length} member(s)`;
  if (route.kind === "alias") return `alias to ${to}`;
  return "to the account of that name";
}

export default async function DomainsPage() {
  await requireAdmin();
  const domains = await listHostedDomains();
  const roleRoutes = await Promise.all(domains.map((d) => describeRoleRoutes(d.name)));
  return (
    <>
      <h1>Domains</h1>
      <ActionForm action={addDomainAction} aria-label="Add a domain">
        <div className="field">
          <label htmlFor="new-domain">Add a hosted domain</label>
          <input id="new-domain" name="domain" placeholder="example.org" autoComplete="off" />
        </div>
        <div className="field">
          <label>
            <input type="checkbox" name="signupEnabled" /> Open for signup
          </label>
        </div>
        <button className="button" type="submit">
          Add domain
        </button>
      </ActionForm>

      {domains.map((d, i) => {
        const hidden = <input type="hidden" name="domain" value={d.name} />;
        return (
          <section key={d.id} className="admin-domain" aria-labelledby={`domain-${d.id}`}>
            <h2 id={`domain-${d.id}`}>{d.name}</h2>
            <p>
              {d.accounts} account(s), {d.aliases} alias(es) or list(s). Signup{" "}
              {d.signupEnabled ? "on" : "off"}. Catch-all:{" "}
              {d.catchAllTarget ? `${d.catchAllTarget}@${d.name}` : "none"}.
            </p>
            {/* RFC 5321 §4.5.1, RFC 2142: these exist on every domain; an alias overrides. */}
            <ul className="role-routes" aria-label={`Role addresses of ${d.name}`}>
              {roleRoutes[i]!.map((r) => (
                <li key={r.address}>
                  <code>{r.address}</code>: {routeText(r)}.
                </li>
              ))}
            </ul>
            <div className="admin-row">
              <ActionForm action={setDomainSignupAction} aria-label={`Signup for ${d.name}`}>
                {hidden}
                <input
                  type="hidden"
                  name="signupEnabled"
                  value={d.signupEnabled ? "false" : "true"}
                />
                <button className="button" type="submit">
                  {d.signupEnabled ? "Turn signup off" : "Turn signup on"}
                </button>
              </ActionForm>
              <ActionForm action={setCatchAllAction} aria-label={`Catch-all for ${d.name}`}>
                {hidden}
                <label htmlFor={`catch-all-${d.id}`}>Catch-all target</label>{" "}
                <input
                  id={`catch-all-${d.id}`}
                  name="catchAll"
                  defaultValue={d.catchAllTarget ?? ""}
                  placeholder="local part, empty for none"
                />{" "}
                <button className="button" type="submit">
                  Set catch-all
                </button>
              </ActionForm>
              <ActionForm
                action={removeDomainAction}
                aria-label={`Remove ${d.name}`}
                confirm={`Stop hosting ${d.name}?`}
              >
                {hidden}
                <button className="button danger" type="submit">
                  Remove domain
                </button>
              </ActionForm>
            </div>
            <h3>DNS records to publish</h3>
            <table aria-label={`DNS records for ${d.name}`}>
              <thead>
                <tr>
                  <th>Purpose</th>
                  <th>Type</th>
                  <th>Name</th>
                  <th>Value</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {domainDnsRecords(d).map((r) => (
                  <tr key={`${r.type}-${r.name}`} data-record={r.purpose.split(":")[0]}>
                    <td>{r.purpose}</td>
                    <td>{r.type}</td>
                    <td>
                      <code className="record-name">{r.name}</code>
                    </td>
                    <td>
                      <code className="record-value">{r.value}</code>
                    </td>
                    <td>
                      <CopyButton value={r.value} label={`Copy ${r.type} ${r.name}`} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ActionForm
              action={rotateDkimAction}
              aria-label={`Rotate DKIM key of ${d.name}`}
              confirm={`Replace the DKIM key of ${d.name}? Mail signed with the old key fails DKIM until the new record is published.`}
            >
              {hidden}
              <button className="button" type="submit">
                Rotate DKIM key
              </button>
            </ActionForm>
          </section>
        );
      })}
    </>
  );
}
