import "server-only";
import { cookies } from "next/headers";
import { DEVICE_COOKIE_SECONDS, PENDING_SIGN_IN_SECONDS } from "@/lib/config/limits";
import { newDeviceToken } from "@/lib/accounts/known-devices";
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

// The browser's device cookie (lib/accounts/known-devices.ts): random, set at
// the first sign-in and kept, so a later sign-in knows the browser.
const DEVICE_COOKIE = "mail.device";

/** This browser's device token, made (and set) when it has none. */
export async function browserDeviceToken(): Promise<string> {
  const jar = await cookies();
  const existing = jar.get(DEVICE_COOKIE)?.value;
  const token = existing && /^[A-Za-z0-9_-]{32}$/.test(existing) ? existing : newDeviceToken();
  jar.set(DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secure(),
    maxAge: DEVICE_COOKIE_SECONDS,
  });
  return token;
}
