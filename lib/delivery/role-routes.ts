// Where a hosted domain's role addresses (postmaster@, abuse@) deliver right
// now, for the admin's Domains page: the resolution a stranger's message
// gets (resolve-recipient.ts), so the page can never say otherwise than
// delivery does.
import { ROLE_LOCAL_PARTS } from "../accounts/address.ts";
import { query, sql } from "../db/sql.ts";
import { resolveRecipient, type AcceptedRecipient } from "./resolve-recipient.ts";

export type RoleRoute = {
  address: string;
  /** account/alias/list: an admin made one at that address; role: the admins. */
  kind: AcceptedRecipient["kind"];
  /** The local accounts and external addresses that get a copy. */
  recipients: string[];
  /** Kept until an admin can receive: how many messages wait. */
  held: number | null;
  /** Every admin's mailbox is full: senders are told to retry (452). */
  full: boolean;
};

// Not a member of anything here: members-only lists answer it as they answer strangers.
const STRANGER = "someone@example.invalid";

export async function describeRoleRoutes(domain: string): Promise<RoleRoute[]> {
  const routes: RoleRoute[] = [];
  for (const role of ROLE_LOCAL_PARTS) {
    const address = `${role}@${domain}`;
    const resolution = await resolveRecipient(address, { mailFrom: STRANGER });
    if (!resolution.ok) {
      // Refused only while every admin's mailbox is full (or the domain just went).
      if (resolution.reason === "over_quota")
        routes.push({ address, kind: "role", recipients: [], held: null, full: true });
      continue;
    }
    const held = resolution.held
      ? Number(
          (
            await query<{ n: string }>(
              sql`SELECT count(*) AS n FROM "HeldMessage" WHERE ${address} = ANY("recipients")`,
            )
          )[0]!.n,
        )
      : null;
    routes.push({
      address,
      kind: resolution.kind,
      recipients: [...resolution.accounts.map((a) => a.address), ...resolution.external],
      held,
      full: false,
    });
  }
  return routes;
}
