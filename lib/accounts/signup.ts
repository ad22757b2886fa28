// Self-service signup: the rules a new address and password must pass, and
// in the "invite" signup mode the invite code (lib/accounts/invites.ts).
import { z } from "zod";
import { MAX_DISPLAY_NAME_LENGTH, SIGNUPS_PER_IP_PER_HOUR } from "../config/limits.ts";
import { UserError } from "../errors.ts";
import { hitRateLimit } from "../rate-limit.ts";
import { clientNetwork } from "../auth/client-network.ts";
import { passwordProblem } from "../auth/password-policy.ts";
import { storableString } from "../validation/storable-text.ts";
import { localPartProblem, RESERVED_LOCAL_PARTS } from "./address.ts";
import { createAccount, type AccountSummary } from "./create-account.ts";
import { findHostedDomain } from "./domains.ts";
import { checkInvite, redeemInvite } from "./invites.ts";
import { getServiceSettings } from "./settings.ts";

export const signupInputSchema = z.object({
  localPart: z.string().trim().toLowerCase().max(200),
  domain: z.string().trim().toLowerCase().max(253),
  displayName: storableString()
    .trim()
    .max(MAX_DISPLAY_NAME_LENGTH, `Use at most ${MAX_DISPLAY_NAME_LENGTH} characters.`),
  password: z.string().max(1000),
  /** The invite code; needed in the "invite" signup mode, ignored otherwise. */
  invite: z.string().trim().max(1000).optional(),
});

export type SignupInput = z.input<typeof signupInputSchema>;

/**
 * Validates and creates the account. Throws UserError with the offending
 * field; counts the attempt against the client's hourly signup allowance.
 */
export async function signUp(input: SignupInput, context: { ip: string }): Promise<AccountSummary> {
  const parsed = signupInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError("invalid_input", issue.message, String(issue.path[0] ?? ""));
  }
  const { localPart, domain, displayName, password, invite } = parsed.data;

  const localProblem = localPartProblem(localPart);
  if (localProblem) throw new UserError("invalid_input", localProblem, "localPart");
  if (RESERVED_LOCAL_PARTS.has(localPart)) {
    throw new UserError("address_reserved", `${localPart}@${domain} is reserved.`, "localPart");
  }
  const settings = await getServiceSettings();
  const hosted = await findHostedDomain(domain);
  if (!hosted) throw new UserError("domain_not_hosted", `${domain} is not hosted here.`, "domain");
  const inviteCode = settings.signupMode === "invite" ? invite : undefined;
  if (settings.signupMode === "invite") {
    if (!inviteCode) {
      throw new UserError(
        "invite_required",
        "Signup is by invitation: enter the invite code you were sent.",
        "invite",
      );
    }
    // An early, friendly answer; redeemInvite below is what decides.
    await checkInvite(inviteCode, hosted);
  } else if (settings.signupMode !== "open" || !hosted.signupEnabled) {
    throw new UserError("signup_closed", `Signup is closed for ${domain}.`, "domain");
  }
  const weak = passwordProblem(password, { address: `${localPart}@${domain}` });
  if (weak) throw new UserError("weak_password", weak, "password");

  // Counted only for attempts that got this far, so typos do not lock people
  // out; by network (an IPv6 client has a whole /64 to rotate through).
  const attempts = await hitRateLimit(`signup:ip:${clientNetwork(context.ip)}`, 3600);
  if (attempts > SIGNUPS_PER_IP_PER_HOUR) {
    throw new UserError("throttled", "Too many signups from your network. Try again in an hour.");
  }
  return createAccount({
    localPart,
    domain,
    displayName: displayName || localPart,
    password,
    withinTransaction: inviteCode
      ? (tx, hostedDomain) => redeemInvite(tx, inviteCode, hostedDomain)
      : undefined,
  });
}
