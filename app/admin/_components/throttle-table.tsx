// Sign-in throttle rows (lib/auth/login-throttle.ts) with a Lift button
// each: on an account's page (its networks) and in the audit log (all).
import type { ThrottleState } from "@/lib/auth/login-throttle";
import { liftThrottleAction } from "../users/actions";
import { ActionForm } from "./action-form";
import { formatTime } from "./format";

function stateText(row: ThrottleState): string {
  if (row.lockedUntil) return `Locked until ${formatTime(row.lockedUntil)}`;
  if (row.delayMs > 0) return `Next attempt waits ${Math.ceil(row.delayMs / 1000)} s`;
  return "Slowed if it fails again";
}

/** `showAddress`: the audit log's view of every address, each row with its own Lift. */
export function ThrottleTable({
  rows,
  label,
  showAddress,
}: {
  rows: ThrottleState[];
  label: string;
  showAddress: boolean;
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {showAddress ? <th>Address</th> : null}
          <th>Network</th>
          <th>Recent failures</th>
          <th>Last attempt</th>
          <th>Protocol</th>
          <th>State</th>
          {showAddress ? <th /> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.address} ${row.network}`} data-testid="throttle-row">
            {showAddress ? <td>{row.address || "any address"}</td> : null}
            <td>{row.network}</td>
            <td>{row.failures}</td>
            <td>{formatTime(row.lastAttemptAt)}</td>
            <td>{row.protocol}</td>
            <td>{stateText(row)}</td>
            {showAddress ? (
              <td>
                <ActionForm
                  action={liftThrottleAction}
                  aria-label={`Lift ${row.address || "network"} ${row.network}`}
                >
                  <input type="hidden" name="address" value={row.address} />
                  <input type="hidden" name="network" value={row.network} />
                  <button className="button" type="submit">
                    Lift
                  </button>
                </ActionForm>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
