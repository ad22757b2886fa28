// Passkeys and security keys (WebAuthn Level 3, through @simplewebauthn/server):
// adding one, listing, renaming and removing them, and checking one at
// sign-in, as the second step or, for a passkey the user chose that for,
// without the password (a discoverable credential, WebAuthn §6.2.2).
//
// Every ceremony's challenge is a WebAuthnChallenge row (any web instance
// can check the answer), bound to its purpose and account, used once
// (deleted before the answer is checked) and short-lived. The relying party
// is the origin the browser addressed (lib/http/request-origin.ts), so the
// RP ID is its host name (WebAuthn §5.1.3 step 8, §5.1.4.1 step 7).
//
// A passkey is a second factor: the first one added turns two-step on
// (Account.twoStepEnabledAt, lib/auth/two-step.ts, the flag every path
// reads, so mail clients then need app passwords) with recovery codes; the
// last factor removed turns it off (resetSecondFactors).
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { z } from "zod";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import {
  MAX_PASSKEYS_PER_ACCOUNT,
  WEBAUTHN_CHALLENGE_SECONDS,
  WEBAUTHN_TIMEOUT_MS,
} from "../config/limits.ts";
import { resetSecondFactors } from "../auth/two-step.ts";
import { isStorableText } from "../validation/storable-text.ts";
import { isUuid } from "../store/list-messages.ts";
import {
  completeSignIn,
  SIGN_IN_ACCOUNT_FIELDS,
  type AuthenticatedAccount,
} from "./authenticate.ts";
import { recordSignInEvent } from "./sign-in-events.ts";
import { verifySecondStep, type SecondStepContext } from "./second-step.ts";
import { newRecoveryCodes, replaceRecoveryCodes } from "./two-step-factors.ts";
import { verifyCurrentPassword } from "./user-settings.ts";

/** Who the browser's authenticator signs for: the RP ID (a host name) and the origin. */
export type RelyingParty = { id: string; origin: string; name: string };

/**
 * The relying party of an origin ("http://localhost:3000"): its host name is
 * the RP ID (WebAuthn §5.1.4.1: a registrable domain suffix of, or equal to,
 * the origin's effective domain; an IP address is none, and browsers refuse it).
 */
export function relyingPartyFor(origin: string): RelyingParty {
  const url = new URL(origin);
  return { id: url.hostname, origin: url.origin, name: "Mail" };
}

type Purpose = "register" | "second-step" | "passwordless";

/** A discoverable credential's user handle (WebAuthn §5.4.3 user.id): the account id's bytes, nothing personal. */
const userHandleOf = (accountId: string) => new TextEncoder().encode(accountId);

async function storeChallenge(
  challenge: string,
  purpose: Purpose,
  accountId: string | null,
): Promise<void> {
  await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await db.webAuthnChallenge.create({
    data: {
      challenge,
      purpose,
      accountId,
      expiresAt: new Date(Date.now() + WEBAUTHN_CHALLENGE_SECONDS * 1000),
    },
  });
}

/** Uses up a challenge made for `purpose` and `accountId`: true once, while it is fresh. */
async function consumeChallenge(
  challenge: string,
  purpose: Purpose,
  accountId: string | null,
): Promise<boolean> {
  const { count } = await db.webAuthnChallenge.deleteMany({
    where: { challenge, purpose, accountId, expiresAt: { gt: new Date() } },
  });
  return count === 1;
}

/** The challenge a response's clientDataJSON carries (WebAuthn §5.8.1), or null. */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
    const challenge = (data as { challenge?: unknown }).challenge;
    return typeof challenge === "string" && challenge.length <= 200 ? challenge : null;
  } catch {
    return null;
  }
}

const base64url = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]*$/);

// What a browser's PublicKeyCredential.toJSON() (through @simplewebauthn/browser) sends.
const credentialFields = {
  id: base64url.min(1).max(1400),
  rawId: base64url.min(1).max(1400),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

const registrationResponse = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
});

const authenticationResponse = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

const refused = (why: string) => new UserError("invalid_credentials", `Passkey refused: ${why}`);

const staleChallenge = () => refused("that prompt was used or timed out. Try again.");

function parseResponse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw refused("the browser's answer was not valid.");
  return parsed.data;
}

/** WebAuthn's own checks (origin, RP ID, signature, flags, counter): their refusal in words. */
async function checked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw refused(`${(error as Error).message}.`);
  }
}

export type PasskeyView = {
  id: string;
  name: string;
  passwordless: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
};

const VIEW = { id: true, name: true, passwordless: true, createdAt: true, lastUsedAt: true };

export async function listPasskeys(accountId: string): Promise<PasskeyView[]> {
  return db.passkey.findMany({ where: { accountId }, select: VIEW, orderBy: { createdAt: "asc" } });
}

function passkeyName(input: string): string {
  const name = input.trim();
  if (!name) throw new UserError("invalid_input", "Give the passkey a name.", "name");
  if (name.length > 100 || !isStorableText(name)) {
    throw new UserError("invalid_input", "Use at most 100 plain characters.", "name");
  }
  return name;
}

/**
 * The options for navigator.credentials.create (WebAuthn §5.4) to add a
 * passkey to the account. A passwordless one must be discoverable and
 * verify the user (PIN, biometrics): it then stands for both factors.
 */
export async function startPasskeyRegistration(
  accountId: string,
  rp: RelyingParty,
  { passwordless }: { passwordless: boolean },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: {
      address: true,
      displayName: true,
      passkeys: { select: { credentialId: true, transports: true } },
    },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  if (account.passkeys.length >= MAX_PASSKEYS_PER_ACCOUNT) {
    throw new UserError(
      "invalid_input",
      `You have ${MAX_PASSKEYS_PER_ACCOUNT} passkeys, the most allowed. Remove one first.`,
    );
  }
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: account.address,
    userDisplayName: account.displayName || account.address,
    userID: userHandleOf(accountId),
    timeout: WEBAUTHN_TIMEOUT_MS,
    attestationType: "none",
    // The same authenticator twice would be one factor under two names (§5.4.3 excludeCredentials).
    excludeCredentials: account.passkeys.map((p) => ({
      id: p.credentialId,
      transports: p.transports,
    })),
    authenticatorSelection: {
      residentKey: passwordless ? "required" : "preferred",
      userVerification: passwordless ? "required" : "preferred",
    },
  });
  await storeChallenge(options.challenge, "register", accountId);
  return options;
}

export type AddedPasskey = {
  passkey: PasskeyView;
  /** The recovery codes made when this passkey turned two-step on, shown once; else null. */
  recoveryCodes: string[] | null;
};

/**
 * Checks the browser's answer to startPasskeyRegistration's options (its
 * challenge used up, origin, RP ID, attestation "none") and stores the
 * passkey. The first factor of an account turns two-step on.
 */
export async function finishPasskeyRegistration(
  accountId: string,
  rp: RelyingParty,
  input: { name: string; passwordless: boolean; response: unknown },
): Promise<AddedPasskey> {
  const name = passkeyName(input.name);
  const response = parseResponse(registrationResponse, input.response);
  const verification = await checked(() =>
    verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: (challenge) => consumeChallenge(challenge, "register", accountId),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: input.passwordless,
    }),
  );
  if (!verification.verified) throw refused("the browser's answer did not verify.");
  const { credential } = verification.registrationInfo;
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { twoStepEnabledAt: true },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  const recovery = account.twoStepEnabledAt ? null : await newRecoveryCodes();
  const passkey = await db.$transaction(async (tx) => {
    const count = await tx.passkey.count({ where: { accountId } });
    if (count >= MAX_PASSKEYS_PER_ACCOUNT) {
      throw new UserError("invalid_input", "You have the most passkeys allowed.");
    }
    const existing = await tx.passkey.count({
      where: { accountId, credentialId: credential.id },
    });
    if (existing > 0) throw new UserError("invalid_input", "That passkey is already added.");
    const row = await tx.passkey.create({
      data: {
        accountId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: BigInt(credential.counter),
        transports: credential.transports ?? response.response.transports ?? [],
        name,
        passwordless: input.passwordless,
      },
      select: VIEW,
    });
    if (recovery) {
      // Conditional: another factor turning two-step on meanwhile keeps its codes.
      const { count: turnedOn } = await tx.account.updateMany({
        where: { id: accountId, twoStepEnabledAt: null },
        data: { twoStepEnabledAt: new Date() },
      });
      if (turnedOn === 1) {
        await replaceRecoveryCodes(tx, accountId, recovery);
        return { row, codes: recovery.codes };
      }
    }
    return { row, codes: null };
  });
  return { passkey: passkey.row, recoveryCodes: passkey.codes };
}

const noSuchPasskey = () => new UserError("not_found", "No such passkey.");

export async function renamePasskey(accountId: string, id: string, name: string): Promise<void> {
  const newName = passkeyName(name);
  if (!isUuid(id)) throw noSuchPasskey();
  const { count } = await db.passkey.updateMany({
    where: { accountId, id },
    data: { name: newName },
  });
  if (count !== 1) throw noSuchPasskey();
}

/**
 * Removes a passkey once the user proved it is them: the account password
 * (sign-in rules) or a current code (verifySecondStep). Removing the last
 * second factor turns two-step off. Returns whether it did.
 */
export async function removePasskey(
  accountId: string,
  id: string,
  proof: { password?: string; code?: string },
  context: SecondStepContext,
): Promise<{ twoStepOff: boolean }> {
  if (!isUuid(id)) throw noSuchPasskey();
  const passkey = await db.passkey.findUnique({
    where: { accountId_id: { accountId, id } },
    select: { account: { select: { id: true, address: true } } },
  });
  if (!passkey) throw noSuchPasskey();
  const { account } = passkey;
  if (proof.password) {
    await verifyCurrentPassword(account.address, proof.password, context, "password");
  } else if (proof.code?.trim()) {
    await verifySecondStep(account, proof.code, context);
  } else {
    throw new UserError(
      "invalid_input",
      "Enter your password or a code from your app or a recovery code.",
      "password",
    );
  }
  return db.$transaction(async (tx) => {
    const { count } = await tx.passkey.deleteMany({ where: { accountId, id } });
    if (count !== 1) throw noSuchPasskey();
    const [passkeysLeft, totp] = await Promise.all([
      tx.passkey.count({ where: { accountId } }),
      tx.totpFactor.count({ where: { accountId, confirmedAt: { not: null } } }),
    ]);
    if (passkeysLeft > 0 || totp > 0) return { twoStepOff: false };
    await resetSecondFactors(tx, accountId);
    return { twoStepOff: true };
  });
}

/** Who a sign-in ceremony is for: the account of a pending sign-in, or anyone (passwordless). */
export type PasskeySignInFor =
  { purpose: "second-step"; accountId: string } | { purpose: "passwordless" };

/**
 * The options for navigator.credentials.get (WebAuthn §5.5): the account's
 * passkeys for a second step; none listed for a passwordless sign-in, so
 * the authenticator offers its discoverable ones, and it must verify the user.
 */
export async function startPasskeySignIn(
  rp: RelyingParty,
  signIn: PasskeySignInFor,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const accountId = signIn.purpose === "second-step" ? signIn.accountId : null;
  const passkeys = accountId
    ? await db.passkey.findMany({
        where: { accountId },
        select: { credentialId: true, transports: true },
      })
    : [];
  if (accountId && passkeys.length === 0) {
    throw new UserError("invalid_input", "This account has no passkey. Enter a code instead.");
  }
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    timeout: WEBAUTHN_TIMEOUT_MS,
    allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports })),
    userVerification: accountId ? "preferred" : "required",
  });
  await storeChallenge(options.challenge, signIn.purpose, accountId);
  return options;
}

/**
 * Checks the browser's answer to startPasskeySignIn's options: its challenge
 * (used up first, whatever follows), a passkey of the expected account (for
 * a passwordless sign-in, the account its user handle names, and a passkey
 * chosen for that), origin, RP ID, signature, and a signature counter above
 * the stored one (§6.1.1: a clone's counter falls behind), then stores the
 * new counter. Records the attempt in the sign-in history. Returns the
 * account; a disabled one is refused.
 */
export async function verifyPasskeySignIn(
  rp: RelyingParty,
  responseInput: unknown,
  signIn: PasskeySignInFor,
  context: SecondStepContext,
): Promise<AuthenticatedAccount> {
  const response = parseResponse(authenticationResponse, responseInput);
  const passwordless = signIn.purpose === "passwordless";
  const challenge = challengeOf(response.response.clientDataJSON);
  const challengeAccount = passwordless ? null : signIn.accountId;
  if (!challenge || !(await consumeChallenge(challenge, signIn.purpose, challengeAccount))) {
    throw staleChallenge();
  }
  // A passwordless answer names its account by the user handle set when it was added.
  const accountId = passwordless
    ? Buffer.from(response.response.userHandle ?? "", "base64url").toString("utf8")
    : signIn.accountId;
  const passkey = isUuid(accountId)
    ? await db.passkey.findUnique({
        where: { accountId_credentialId: { accountId, credentialId: response.id } },
        select: {
          id: true,
          publicKey: true,
          counter: true,
          transports: true,
          passwordless: true,
          account: { select: SIGN_IN_ACCOUNT_FIELDS },
        },
      })
    : null;
  if (!passkey) throw refused("that passkey is not one of this account's.");
  const protocol = passwordless ? "web-passkey" : "web-2fa-passkey";
  const event = {
    address: passkey.account.address,
    protocol,
    ip: context.ip,
    userAgent: context.userAgent,
  } as const;
  try {
    if (passwordless && !passkey.passwordless) {
      throw refused("this passkey is for the second step. Sign in with your password first.");
    }
    const verification = await checked(() =>
      verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: response.id,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: Number(passkey.counter),
          transports: passkey.transports,
        },
        requireUserVerification: passwordless,
      }),
    );
    if (!verification.verified) throw refused("the signature did not verify.");
    // Conditional on the counter read: of two answers racing, one wins.
    const { count } = await db.passkey.updateMany({
      where: { accountId, id: passkey.id, counter: passkey.counter },
      data: {
        counter: BigInt(verification.authenticationInfo.newCounter),
        lastUsedAt: new Date(),
      },
    });
    if (count !== 1) throw staleChallenge();
  } catch (error) {
    await recordSignInEvent({ ...event, outcome: "FAILURE" });
    throw error;
  }
  // Success is recorded (and a disabled account refused) by the sign-in's end.
  return completeSignIn(passkey.account, event);
}
