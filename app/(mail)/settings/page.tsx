import type { Metadata } from "next";
import Link from "next/link";
import { getUserSettings } from "@/lib/accounts/user-settings";
import { currentAccount } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { PasswordForm } from "./_components/password-form";
import { ProfileForm } from "./_components/profile-form";
import { VacationForm } from "./_components/vacation-form";
import "./settings.css";

export const metadata: Metadata = { title: "Settings" };

// /settings: the signed-in user's own account (name, signature, automatic
// replies, password). Everything shown is read through lib for this account.
export default async function SettingsPage() {
  const account = await currentAccount();
  const settings = await getUserSettings(account.id);
  return (
    <div className="settings-page">
      <header className="settings-top">
        <Link href="/mail" className="button quiet">
          <Icon name="back" /> Back to mail
        </Link>
        <h1>Settings</h1>
        <span className="muted" data-testid="settings-address">
          {settings.address}
        </span>
        <SignOutButton />
      </header>
      <main className="settings-sections">
        <section aria-labelledby="profile-heading" className="settings-card">
          <h2 id="profile-heading">Profile</h2>
          <ProfileForm displayName={settings.displayName} signature={settings.signature} />
        </section>
        <section aria-labelledby="vacation-heading" className="settings-card">
          <h2 id="vacation-heading">Automatic replies</h2>
          <VacationForm vacation={settings.vacation} />
        </section>
        <section aria-labelledby="password-heading" className="settings-card">
          <h2 id="password-heading">Password</h2>
          <PasswordForm address={settings.address} />
        </section>
        <section aria-labelledby="security-heading" className="settings-card">
          <h2 id="security-heading">Security</h2>
          <p className="hint">
            Two-step verification, app passwords for mail apps, and where you are signed in.
          </p>
          <Link href="/settings/security">Security settings</Link>
        </section>
      </main>
    </div>
  );
}
