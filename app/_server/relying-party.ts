import "server-only";
import { headers } from "next/headers";
import { relyingPartyFor, type RelyingParty } from "@/lib/accounts/passkeys";
import { UserError } from "@/lib/errors";
import { requestOrigin } from "@/lib/http/request-origin";
import { originPolicy } from "./site-url";

/**
 * The WebAuthn relying party of this request: the origin the browser
 * addressed (its Host, or a trusted proxy's), as every same-origin check
 * takes it, so a passkey added at http://localhost:3000 signs in there.
 */
export async function currentRelyingParty(): Promise<RelyingParty> {
  const origin = requestOrigin(await headers(), originPolicy());
  if (!origin)
    throw new UserError("invalid_input", "This request did not say which site it is for.");
  return relyingPartyFor(origin);
}
