// Aliases for tests, made through the admin dashboard's lib function.
import { createAlias } from "../../lib/admin/aliases.ts";

/** Creates `alias` (a plain alias, delivering to `targets`) that `owner` may send as. */
export async function ownAlias(owner: string, alias: string, targets = [owner]) {
  return createAlias({ address: alias, kind: "alias", owner, membersOnly: false, targets });
}
