import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { listSignupDomains } from "@/lib/accounts/domains";
import { getServiceSettings } from "@/lib/accounts/settings";
import { getCurrentAccount } from "@/app/_server/session";
import { SignupForm } from "./signup-form";

export const metadata: Metadata = { title: "Create account" };

export default async function SignupPage() {
  if (await getCurrentAccount()) redirect("/mail");
  const [settings, domains] = await Promise.all([getServiceSettings(), listSignupDomains()]);
  const open = settings.signupMode === "open" && domains.length > 0;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Create your account</h1>
        <p className="sub">Get an address of your own</p>
        {open ? (
          <SignupForm domains={domains} />
        ) : (
          <p className="form-error" role="alert">
            Signup is closed. Ask an administrator for an account.
          </p>
        )}
        <p className="auth-switch">
          Already have an account? <a href="/login">Sign in</a>
        </p>
      </div>
    </main>
  );
}
