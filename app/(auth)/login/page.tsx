import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentAccount } from "@/app/_server/session";
import { oidcProviderId } from "@/lib/accounts/oidc-sign-in";
import { loadConfig } from "@/lib/config";
import { LoginForm } from "./login-form";
import { SsoButtons } from "./sso-buttons";
import { PasskeyButton } from "./passkey-button";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ address?: string; registered?: string; error?: string }>;
}) {
  if (await getCurrentAccount()) redirect("/mail");
  const { address, registered, error } = await searchParams;
  const sso = loadConfig().oidcProviders.map((p) => ({
    id: oidcProviderId(p.domain),
    domain: p.domain,
  }));
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Sign in</h1>
        <p className="sub">to continue to Mail</p>
        {registered ? (
          <p className="form-notice" role="status">
            Your account is ready. Sign in with your new address.
          </p>
        ) : null}
        {error === "OAuthCallback" || error === "Callback" ? (
          <p className="form-error" role="alert">
            Single sign-on did not sign you in: your provider gave no verified address with a mail
            account here.
          </p>
        ) : null}
        <SsoButtons providers={sso} />
        <PasskeyButton purpose="passwordless" />
        <LoginForm defaultAddress={typeof address === "string" ? address.slice(0, 320) : ""} />
        <p className="auth-switch">
          No account yet? <a href="/signup">Create one</a>
        </p>
      </div>
    </main>
  );
}
