import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentAccount } from "@/app/_server/session";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ address?: string; registered?: string }>;
}) {
  if (await getCurrentAccount()) redirect("/mail");
  const { address, registered } = await searchParams;
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
        <LoginForm defaultAddress={typeof address === "string" ? address.slice(0, 320) : ""} />
        <p className="auth-switch">
          No account yet? <a href="/signup">Create one</a>
        </p>
      </div>
    </main>
  );
}
