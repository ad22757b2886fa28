import type { Metadata } from "next";
import Link from "next/link";
import { getUserSettings } from "@/lib/accounts/user-settings";
import { announces, getNotificationSettings } from "@/lib/push/notification-settings";
import { listMailboxes } from "@/lib/store/read-mailboxes";
import { currentAccount } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { NotificationsForm } from "./_components/notifications-form";
import { PasswordForm } from "./_components/password-form";
import { ProfileForm } from "./_components/profile-form";
import { VacationForm } from "./_components/vacation-form";
import { SenderListsForm } from "./_components/sender-lists-form";
import { listSenderEntries } from "@/lib/spam/sender-lists";
import "./settings.css";

export const metadata: Metadata = { title: "Settings" };

// /settings: the signed-in user's own account (name, signature, automatic
// replies, blocked and safe senders, password). Everything shown is read through lib for this account.
export default async function SettingsPage() {
  const account = await currentAccount();
  const [settings, notifications, folders, senders] = await Promise.all([
    getUserSettings(account.id),
    getNotificationSettings(account.id),
    listMailboxes(account.id),
    listSenderEntries(account.id),
  ]);
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
        <section aria-labelledby="senders-heading" className="settings-card">
          <h2 id="senders-heading">Blocked and safe senders</h2>
          <SenderListsForm entries={senders.map(({ sender, kind }) => ({ sender, kind }))} />
        </section>
        <section aria-labelledby="notifications-heading" className="settings-card">
          <h2 id="notifications-heading">Notifications</h2>
          <NotificationsForm
            folders={folders.map((f) => ({
              id: f.id,
              name: f.name,
              announced: announces(notifications, f),
            }))}
          />
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
