"use server";

// The Security page's actions: each checks the session, makes one lib call
// for the signed-in account and returns what the form shows. Next.js
// refuses server actions from other origins (their CSRF protection).
import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import QRCode from "qrcode";
import { confirmTotpEnrolment, startTotpEnrolment } from "@/lib/accounts/two-step-factors";
import { disableTwoStep } from "@/lib/accounts/second-step";
import { signOutOtherWebSessions, signOutWebSession } from "@/lib/accounts/web-sessions";
import { isUserError } from "@/lib/errors";
import { getClientIp } from "@/app/_server/client-ip";
import { currentAccount } from "@/app/_server/mail";
import type { SettingsFormState } from "../actions";

export type SecurityFormState = SettingsFormState & {
  enrolment?: { secret: string; qrDataUrl: string };
  recoveryCodes?: string[];
};

const text = (form: FormData, name: string, max = 1000) => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, max) : "";
};

async function client() {
  return { ip: await getClientIp(), userAgent: (await headers()).get("user-agent") ?? "" };
}

async function run(
  work: (accountId: string, sessionId: string) => Promise<SecurityFormState>,
): Promise<SecurityFormState> {
  const account = await currentAccount();
  try {
    return await work(account.id, account.sessionId);
  } catch (error) {
    if (!isUserError(error)) throw error;
    return error.field
      ? { fieldErrors: { [error.field]: error.message } }
      : { error: error.message };
  }
}

/** Starts setting up the authenticator app: the secret, as text and as a QR code. */
export async function startTotpAction(): Promise<SecurityFormState> {
  return run(async (accountId) => {
    const { secret, uri } = await startTotpEnrolment(accountId);
    const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    const qrDataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    return { enrolment: { secret, qrDataUrl } };
  });
}

/** Confirms the app with its first code; the recovery codes come back once. */
export async function confirmTotpAction(form: FormData): Promise<SecurityFormState> {
  const state = await run(async (accountId) => ({
    ok: true,
    message: "Two-step verification is on.",
    recoveryCodes: await confirmTotpEnrolment(accountId, text(form, "code", 64)),
  }));
  return state;
}

export async function disableTwoStepAction(form: FormData): Promise<SecurityFormState> {
  const state = await run(async (accountId) => {
    await disableTwoStep(
      accountId,
      { password: text(form, "password"), code: text(form, "code", 64) },
      await client(),
    );
    return { ok: true, message: "Two-step verification is off." };
  });
  if (state.ok) revalidatePath("/settings/security");
  return state;
}

/** Signs out one of the account's other browsers: it is refused at its next request. */
export async function signOutSessionAction(form: FormData): Promise<SecurityFormState> {
  const state = await run(async (accountId, current) => {
    const sessionId = text(form, "sessionId", 64);
    if (sessionId === current) {
      return { error: "Use Sign out at the top to sign out this browser." };
    }
    await signOutWebSession(accountId, sessionId);
    return { ok: true, message: "Signed out that session." };
  });
  if (state.ok) revalidatePath("/settings/security");
  return state;
}

/** "Sign out everywhere else": every session of the account but this browser's. */
export async function signOutOtherSessionsAction(): Promise<SecurityFormState> {
  const state = await run(async (accountId, current) => {
    const count = await signOutOtherWebSessions(accountId, current);
    return { ok: true, message: `Signed out ${count} other session${count === 1 ? "" : "s"}.` };
  });
  if (state.ok) revalidatePath("/settings/security");
  return state;
}
