import type { Metadata } from "next";
import Link from "next/link";
import { getTwoStepStatus } from "@/lib/accounts/two-step-factors";
import { currentAccount } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { TwoStepSection } from "./_components/two-step-section";
import "../settings.css";

export const metadata: Metadata = { title: "Security" };

// /settings/security: the signed-in user's two-step verification, app
// passwords (their own page) and sessions. Everything is read through lib
// for this account only.
export default async function SecurityPage() {
  const account = await currentAccount();
  const twoStep = await getTwoStepStatus(account.id);
  return (
    <div className="settings-page">
      <header className="settings-top">
        <Link href="/settings" className="button quiet">
          <Icon name="back" /> Back to settings
        </Link>
        <h1>Security</h1>
        <span className="muted">{account.address}</span>
        <SignOutButton />
      </header>
      <main className="settings-sections">
        <section aria-labelledby="two-step-heading" className="settings-card">
          <h2 id="two-step-heading">Two-step verification</h2>
          <TwoStepSection
            address={account.address}
            enabledAt={twoStep.enabledAt?.toISOString() ?? null}
            recoveryCodesLeft={twoStep.recoveryCodesLeft}
          />
        </section>
        <section aria-labelledby="app-passwords-heading" className="settings-card">
          <h2 id="app-passwords-heading">App passwords</h2>
          <p className="hint">
            Mail apps (IMAP, POP3, SMTP) sign in with an app password once two-step verification is
            on.
          </p>
          <Link href="/settings/app-passwords">Manage app passwords</Link>
        </section>
      </main>
    </div>
  );
}
