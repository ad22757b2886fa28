import type { Metadata } from "next";
import Link from "next/link";
import { getTwoStepStatus } from "@/lib/accounts/two-step-factors";
import { listPasskeys } from "@/lib/accounts/passkeys";
import { listSignInEvents } from "@/lib/accounts/sign-in-events";
import { listWebSessions } from "@/lib/accounts/web-sessions";
import { describeUserAgent } from "@/lib/http/user-agent";
import { currentAccount } from "@/app/_server/mail";
import { Icon } from "@/app/_components/icons";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { TwoStepSection } from "./_components/two-step-section";
import { SessionsSection, type SessionDto } from "./_components/sessions-section";
import { HistorySection } from "./_components/history-section";
import { PasskeysSection } from "./_components/passkeys-section";
import "../settings.css";

export const metadata: Metadata = { title: "Security" };

// /settings/security: the signed-in user's two-step verification, app
// passwords (their own page) and sessions. Everything is read through lib
// for this account only.
export default async function SecurityPage() {
  const account = await currentAccount();
  const [twoStep, passkeys, sessions, events] = await Promise.all([
    getTwoStepStatus(account.id),
    listPasskeys(account.id),
    listWebSessions(account.id),
    listSignInEvents(account.id, { limit: 50 }),
  ]);
  const sessionRows: SessionDto[] = sessions.map((s) => ({
    id: s.id,
    device: describeUserAgent(s.userAgent),
    ip: s.lastIp,
    firstSeen: s.createdAt.toISOString(),
    lastSeen: s.lastSeenAt.toISOString(),
    current: s.id === account.sessionId,
  }));
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
        <section aria-labelledby="passkeys-heading" className="settings-card">
          <h2 id="passkeys-heading">Passkeys and security keys</h2>
          <p className="hint">
            A passkey is a second step after your password, or, if you choose, signs you in on its
            own.
          </p>
          <PasskeysSection
            address={account.address}
            passkeys={passkeys.map((p) => ({
              id: p.id,
              name: p.name,
              passwordless: p.passwordless,
              createdAt: p.createdAt.toISOString(),
              lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
            }))}
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
        <section aria-labelledby="sessions-heading" className="settings-card">
          <h2 id="sessions-heading">Where you are signed in</h2>
          <div className="table-scroll">
            <SessionsSection sessions={sessionRows} />
          </div>
        </section>
        <section aria-labelledby="history-heading" className="settings-card">
          <h2 id="history-heading">Recent sign-ins</h2>
          <div className="table-scroll">
            <HistorySection events={events} />
          </div>
        </section>
      </main>
    </div>
  );
}
