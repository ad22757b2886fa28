import "server-only";
import { cookies } from "next/headers";
import { PENDING_SIGN_IN_SECONDS } from "@/lib/config/limits";
import {
  readPendingSignInToken,
  signPendingSignIn,
  type PendingSignInRef,
} from "@/lib/accounts/pending-sign-in";

// The cookie that carries a pending sign-in between the password step and
// the second step (lib/accounts/pending-sign-in.ts): httpOnly, so page
// scripts never see it, and SameSite=Lax like next-auth's own.
const PENDING_COOKIE = "mail.pending-sign-in";

function signingSecret(): string {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set");
  return secret;
}

const secure = () =>
  (process.env.NEXTAUTH_URL ?? process.env.PUBLIC_URL ?? "").startsWith("https:");

export async function setPendingSignInCookie(ref: PendingSignInRef): Promise<void> {
  (await cookies()).set(PENDING_COOKIE, signPendingSignIn(ref, signingSecret()), {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secure(),
    maxAge: PENDING_SIGN_IN_SECONDS,
  });
}

/** The pending sign-in this browser's cookie names, if its signature is ours. */
export async function pendingSignInFromCookie(): Promise<PendingSignInRef | null> {
  const value = (await cookies()).get(PENDING_COOKIE)?.value;
  return value ? readPendingSignInToken(value, signingSecret()) : null;
}

export async function clearPendingSignInCookie(): Promise<void> {
  (await cookies()).delete(PENDING_COOKIE);
}
