import type { Metadata } from "next";
import Link from "next/link";
import { getServiceSettings } from "@/lib/accounts/settings";
import { loadConfig } from "@/lib/config";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { formatBytes } from "../_components/format";
import { saveSettingsAction } from "./actions";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  await requireAdmin();
  const settings = await getServiceSettings();
  const config = loadConfig();
  const stored = settings.stored;
  const defaultQuotaMib = String(config.defaultQuotaBytes / BigInt(1024 * 1024));
  return (
    <>
      <h1>Service settings</h1>
      <p>Empty fields use the server&apos;s configured default, shown in grey.</p>
      <ActionForm action={saveSettingsAction} aria-label="Service settings">
        <div className="field">
          <label htmlFor="signup-mode">Signup</label>
          <select id="signup-mode" name="signupMode" defaultValue={settings.signupMode}>
            <option value="open">Open: anyone may sign up on signup domains</option>
            <option value="invite">Invite-only: people sign up with an invite code</option>
            <option value="closed">Closed: only admins create accounts</option>
          </select>
          <p>
            Invite codes are made under <Link href="/admin/invites">Invites</Link>.
          </p>
        </div>
        <div className="field">
          <label htmlFor="default-quota">Default quota for new accounts (MiB)</label>
          <input
            id="default-quota"
            name="defaultQuotaMib"
            inputMode="numeric"
            defaultValue={
              stored.defaultQuotaBytes !== undefined
                ? String(stored.defaultQuotaBytes / 1048576)
                : ""
            }
            placeholder={defaultQuotaMib}
          />
        </div>
        <div className="field">
          <label htmlFor="send-per-hour">Messages a user may send per hour</label>
          <input
            id="send-per-hour"
            name="sendMessagesPerHour"
            inputMode="numeric"
            defaultValue={stored.sendMessagesPerHour ?? ""}
            placeholder={String(config.sendLimits.messagesPerHour)}
          />
        </div>
        <div className="field">
          <label htmlFor="send-per-day">Recipients a user may send to per day</label>
          <input
            id="send-per-day"
            name="sendRecipientsPerDay"
            inputMode="numeric"
            defaultValue={stored.sendRecipientsPerDay ?? ""}
            placeholder={String(config.sendLimits.recipientsPerDay)}
          />
        </div>
        <div className="field">
          <label htmlFor="max-message">Message size limit (KiB)</label>
          <input
            id="max-message"
            name="maxMessageKib"
            inputMode="numeric"
            defaultValue={
              stored.maxMessageBytes !== undefined ? String(stored.maxMessageBytes / 1024) : ""
            }
            placeholder={String(config.maxMessageBytes / 1024)}
          />
        </div>
        <button className="button" type="submit">
          Save settings
        </button>
      </ActionForm>
      <h2>In force now</h2>
      <ul data-testid="settings-in-force">
        <li>Signup: {settings.signupMode}</li>
        <li>Default quota: {formatBytes(settings.defaultQuotaBytes)}</li>
        <li>
          Send limits: {settings.sendLimits.messagesPerHour} messages/hour,{" "}
          {settings.sendLimits.recipientsPerDay} recipients/day
        </li>
        <li>Message size limit: {formatBytes(settings.maxMessageBytes)}</li>
      </ul>
    </>
  );
}
