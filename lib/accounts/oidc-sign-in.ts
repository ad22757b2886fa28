// Single sign-on through a domain's OpenID Connect provider (OIDC_PROVIDERS,
// lib/config): which account a provider's ID token names. The provider is
// trusted only for its own domain and only for a verified address (OpenID
// Connect Core 1.0 §5.1 email_verified): a provider for corp.example never
// signs anyone in as someone@another.example. An address with no account is
// made one on first sign-in when the domain's provider allows it
// (createAccounts), with a random password the user never learns (mail
// clients then use app passwords). The web flow itself is next-auth's
// (app/_server/auth-options.ts).
import { randomBytes } from "node:crypto";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import type { OidcProviderConfig } from "../config/index.ts";
import { localPartProblem, normalizeAddress, splitAddress } from "./address.ts";
import {
  completeSignIn,
  SIGN_IN_ACCOUNT_FIELDS,
  type AuthenticatedAccount,
} from "./authenticate.ts";
import { createAccount } from "./create-account.ts";

export type OidcClaims = { email?: unknown; email_verified?: unknown; name?: unknown };

/** The next-auth provider id of a domain's OpenID provider. */
export function oidcProviderId(domain: string): string {
  return `oidc-${domain.replace(/[^a-z0-9]+/g, "-")}`;
}

/**
 * The account the provider's claims name, made when allowed. Throws
 * UserError "invalid_credentials" (no verified address at this domain, or no
 * account and none may be made) or "account_disabled".
 */
export async function accountForOidcLogin(
  provider: OidcProviderConfig,
  claims: OidcClaims,
  context: { ip: string; userAgent?: string } = { ip: "unknown" },
): Promise<AuthenticatedAccount> {
  const email = typeof claims.email === "string" ? normalizeAddress(claims.email) : "";
  const parts = splitAddress(email);
  if (!parts || parts.domain !== provider.domain || claims.email_verified !== true) {
    throw new UserError(
      "invalid_credentials",
      `Your identity provider did not confirm an address at ${provider.domain}.`,
    );
  }
  const select = SIGN_IN_ACCOUNT_FIELDS;
  let account = await db.account.findUnique({ where: { address: email }, select });
  if (!account) {
    if (!provider.createAccounts || localPartProblem(parts.localPart)) {
      throw new UserError("invalid_credentials", `There is no mail account for ${email}.`);
    }
    const name = typeof claims.name === "string" ? claims.name.trim().slice(0, 100) : "";
    await createAccount({
      localPart: parts.localPart,
      domain: parts.domain,
      displayName: name || parts.localPart,
      password: randomBytes(24).toString("base64url"),
    });
    account = await db.account.findUniqueOrThrow({ where: { address: email }, select });
  }
  return completeSignIn(account, { address: email, protocol: "web", ...context });
}
