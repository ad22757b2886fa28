import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { listSignupDomains } from "@/lib/accounts/domains";
import { checkInvite } from "@/lib/accounts/invites";
import { getServiceSettings } from "@/lib/accounts/settings";
import { isUserError } from "@/lib/errors";
import { getCurrentAccount } from "@/app/_server/session";
import { SignupForm } from "./signup-form";

export const metadata: Metadata = { title: "Create account" };

type Search = { invite?: string | string[] };

/**
 * In invite mode the code from the link is checked at once (an expired or
 * used code says so before anyone types a password), and a code limited to
 * one domain offers only that domain. signUp checks everything again.
 */
async function inviteView(code: string, signupDomains: string[]) {
  if (!code) return { domains: signupDomains, problem: undefined };
  try {
    const { domain } = await checkInvite(code);
    return { domains: domain ? [domain] : signupDomains, problem: undefined };
  } catch (error) {
    if (!isUserError(error)) throw error;
    return { domains: signupDomains, problem: error.message };
  }
}

export default async function SignupPage({ searchParams }: { searchParams: Promise<Search> }) {
  if (await getCurrentAccount()) redirect("/mail");
  const [settings, signupDomains, search] = await Promise.all([
    getServiceSettings(),
    listSignupDomains(),
    searchParams,
  ]);
  const code = typeof search.invite === "string" ? search.invite.trim().slice(0, 200) : "";
  const byInvite = settings.signupMode === "invite";
  const { domains, problem } = byInvite
    ? await inviteView(code, signupDomains)
    : { domains: signupDomains, problem: undefined };
  const open = settings.signupMode !== "closed" && domains.length > 0;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Create your account</h1>
        <p className="sub">
          {byInvite
            ? "Signup is by invitation: use the code you were sent"
            : "Get an address of your own"}
        </p>
        {open ? (
          <SignupForm domains={domains} invite={byInvite ? { code, problem } : undefined} />
        ) : (
          <p className="form-error" role="alert">
            {byInvite
              ? "Signup is by invitation only. Open the link in your invitation."
              : "Signup is closed. Ask an administrator for an account."}
          </p>
        )}
        <p className="auth-switch">
          Already have an account? <a href="/login">Sign in</a>
        </p>
      </div>
    </main>
  );
}
