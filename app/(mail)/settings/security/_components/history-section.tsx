import type { SignInEventView } from "@/lib/accounts/sign-in-events";
import { describeUserAgent } from "@/lib/http/user-agent";
import { LocalTime } from "@/app/(mail)/mail/_components/local-time";

const OUTCOMES: Record<SignInEventView["outcome"], string> = {
  SUCCESS: "Signed in",
  FAILURE: "Failed",
  THROTTLED: "Refused (too many failures)",
};

const PROTOCOLS: Record<string, string> = {
  web: "Web password",
  "web-2fa": "Web second step",
  "web-2fa-passkey": "Web second step (passkey)",
  "web-passkey": "Web, passkey",
  smtp: "SMTP",
  imap: "IMAP",
  pop3: "POP3",
};

/** The account's latest sign-in events (success, failure, lockout; protocol, IP). */
export function HistorySection({ events }: { events: SignInEventView[] }) {
  if (events.length === 0) return <p className="hint">No sign-ins yet.</p>;
  return (
    <table className="security-table" data-testid="sign-in-history">
      <caption className="visually-hidden">Recent sign-ins</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Result</th>
          <th scope="col">How</th>
          <th scope="col">IP address</th>
          <th scope="col">Device</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.id} data-testid="sign-in-event">
            <td>
              <LocalTime iso={e.lastAt.toISOString()} />
              {e.count > 1 ? ` (${e.count} times)` : ""}
            </td>
            <td>{OUTCOMES[e.outcome]}</td>
            <td>{PROTOCOLS[e.protocol] ?? e.protocol}</td>
            <td>{e.ip}</td>
            <td>{e.userAgent ? describeUserAgent(e.userAgent) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
