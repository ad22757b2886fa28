import type { Metadata } from "next";
import Link from "next/link";
import { listAppPasswords } from "@/lib/auth/app-passwords";
import { twoStepEnabledFor } from "@/lib/auth/two-step";
import { getUserSettings } from "@/lib/accounts/user-settings";
import { currentAccount } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { AppPasswordsPanel, type AppPasswordDto } from "./app-passwords-panel";
import "../settings.css";

export const metadata: Metadata = { title: "App passwords" };

// /settings/app-passwords: passwords for mail clients (IMAP, POP3, SMTP),
// made, listed and revoked through /api/app-passwords. Read through lib for
// the signed-in account only.
export default async function AppPasswordsPage() {
  const account = await currentAccount();
  const [settings, passwords, twoStep] = await Promise.all([
    getUserSettings(account.id),
    listAppPasswords(account.id),
    twoStepEnabledFor(account.id),
  ]);
  const dtos: AppPasswordDto[] = passwords.map((p) => ({
    id: p.id,
    name: p.name,
    createdAt: p.createdAt.toISOString(),
    lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: p.lastUsedIp,
    lastUsedProtocol: p.lastUsedProtocol,
  }));
  return (
    <div className="settings-page">
      <header className="settings-top">
        <Link href="/settings" className="button quiet">
          <Icon name="back" /> Settings
        </Link>
        <h1>App passwords</h1>
        <span className="muted">{settings.address}</span>
      </header>
      <main className="settings-sections">
        <section aria-labelledby="app-passwords-heading" className="settings-card">
          <h2 id="app-passwords-heading">Passwords for mail apps</h2>
          <p className="hint" data-testid="two-step-state">
            {twoStep
              ? "Two-step verification is on: mail apps (IMAP, POP3, SMTP) sign in only with an app password."
              : "Mail apps (IMAP, POP3, SMTP) can sign in with an app password instead of your account password. Once two-step verification is on, they must."}
          </p>
          <AppPasswordsPanel passwords={dtos} />
        </section>
      </main>
    </div>
  );
}
