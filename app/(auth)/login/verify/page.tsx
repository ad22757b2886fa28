import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getPendingSignIn } from "@/lib/accounts/pending-sign-in";
import { getCurrentAccount } from "@/app/_server/session";
import { pendingSignInFromCookie } from "@/app/_server/pending-sign-in";
import { VerifyForm } from "./verify-form";
import { PasskeyButton } from "../passkey-button";

export const metadata: Metadata = { title: "Two-step verification" };

// /login/verify: the second step of a sign-in. Only a browser whose password
// step passed (its signed pending-sign-in cookie names a live row) gets here.
export default async function VerifyPage() {
  if (await getCurrentAccount()) redirect("/mail");
  const ref = await pendingSignInFromCookie();
  const pending = ref ? await getPendingSignIn(ref) : null;
  if (!pending) redirect("/login");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Two-step verification</h1>
        <p className="sub">
          Signing in as <strong>{pending.account.address}</strong>
        </p>
        {pending.passkeys ? <PasskeyButton purpose="second-step" /> : null}
        <VerifyForm />
        <p className="auth-switch">
          <a href="/login">Start again</a>
        </p>
      </div>
    </main>
  );
}
