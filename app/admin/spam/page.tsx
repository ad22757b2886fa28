import type { Metadata } from "next";
import { getSpamSettings } from "@/lib/spam/settings";
import { requireAdmin } from "@/app/_server/admin";
import { ActionForm } from "../_components/action-form";
import { saveSpamSettingsAction } from "./actions";
import "../_components/sections.css";

export const metadata: Metadata = { title: "Spam" };

/** A list setting as the textarea shows it: one entry a line. */
const asLines = (values: string[]) => values.join("\n");

function TextField(props: { id: string; name: string; label: string; value: string }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input id={props.id} name={props.name} inputMode="decimal" defaultValue={props.value} />
    </div>
  );
}

/** A list setting: one entry a line. */
function ListField(props: { id: string; name: string; label: string; values: string[] }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <textarea id={props.id} name={props.name} rows={3} defaultValue={asLines(props.values)} />
    </div>
  );
}

export default async function SpamSettingsPage() {
  await requireAdmin();
  const s = await getSpamSettings();
  return (
    <>
      <h1>Spam and abuse</h1>
      <p>
        What the MX does with inbound mail before it accepts it. Refused mail gets 550 5.7.1 with
        the reason; Junk is filed in the recipient&apos;s Junk folder with the reason shown there.
      </p>
      <ActionForm action={saveSpamSettingsAction} aria-label="Spam settings">
        <h2>Authentication</h2>
        <div className="field">
          <label htmlFor="spf-fail">
            SPF fails (-all) without a DKIM signature aligned with From
          </label>
          <select id="spf-fail" name="spfFailAction" defaultValue={s.spfFailAction}>
            <option value="junk">File as Junk</option>
            <option value="reject">Refuse</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="hosted-spoof">
            Mail from outside claiming one of our domains without its signature
          </label>
          <select id="hosted-spoof" name="hostedSpoofAction" defaultValue={s.hostedSpoofAction}>
            <option value="reject">Refuse</option>
            <option value="junk">File as Junk</option>
          </select>
        </div>
        <ListField
          id="forwarders"
          name="trustedForwarders"
          label="Trusted forwarders (ARC sealing domains, one a line)"
          values={s.trustedForwarders}
        />
        <h2>Content</h2>
        <TextField
          id="junk-threshold"
          name="contentJunkPercent"
          label="Junk at a spam probability of (%)"
          value={String(Math.round(s.contentJunkThreshold * 100))}
        />
        <div className="field">
          <label htmlFor="reject-threshold">
            Refuse at a spam probability of (%, empty: never)
          </label>
          <input
            id="reject-threshold"
            name="contentRejectPercent"
            inputMode="decimal"
            defaultValue={
              s.contentRejectThreshold === null
                ? ""
                : String(Math.round(s.contentRejectThreshold * 100))
            }
          />
        </div>
        <h2>Reputation</h2>
        <div className="field">
          <label htmlFor="dns-lists">
            DNS lists, one a line: zone, ip or domain, reject, junk or allow
          </label>
          <textarea
            id="dns-lists"
            name="dnsLists"
            rows={4}
            placeholder="zen.spamhaus.org ip reject"
            defaultValue={asLines(s.dnsLists.map((l) => `${l.zone} ${l.kind} ${l.action}`))}
          />
        </div>
        <TextField
          id="dns-timeout"
          name="dnsListTimeoutMs"
          label="DNS list timeout (ms)"
          value={String(s.dnsListTimeoutMs)}
        />
        <ListField
          id="allowed"
          name="allowedSenderDomains"
          label="Allowed sender domains (when authenticated), one a line"
          values={s.allowedSenderDomains}
        />
        <ListField
          id="blocked"
          name="blockedSenderDomains"
          label="Blocked sender domains, one a line"
          values={s.blockedSenderDomains}
        />
        <h2>Per client</h2>
        <TextField
          id="connections"
          name="maxConnectionsPerIp"
          label="Open connections per IP"
          value={String(s.maxConnectionsPerIp)}
        />
        <TextField
          id="rate"
          name="maxMessagesPerIpPerHour"
          label="Messages per network per hour"
          value={String(s.maxMessagesPerIpPerHour)}
        />
        <TextField
          id="harvest-slow"
          name="harvestSlowAfter"
          label="Slow down after this many unknown recipients"
          value={String(s.harvestSlowAfter)}
        />
        <TextField
          id="harvest-close"
          name="harvestDisconnectAfter"
          label="Disconnect after this many unknown recipients"
          value={String(s.harvestDisconnectAfter)}
        />
        <div className="field">
          <label>
            <input
              type="checkbox"
              name="limitLoopbackClients"
              defaultChecked={s.limitLoopbackClients}
            />{" "}
            Apply the per-client limits to loopback clients too
          </label>
        </div>
        <div className="field">
          <label>
            <input type="checkbox" name="greylisting" defaultChecked={s.greylisting.enabled} />{" "}
            Greylisting (RFC 6647): defer the first message of a new sender
          </label>
        </div>
        <TextField
          id="grey-delay"
          name="greylistDelaySeconds"
          label="Greylisting delay (seconds)"
          value={String(s.greylisting.delaySeconds)}
        />
        <button className="button" type="submit">
          Save spam settings
        </button>
      </ActionForm>
    </>
  );
}
