// Under a message in Sent: what became of it for each remote recipient
// (delivered; deferred, why and the next try; bounced and why). A server
// component: it reads the queue through lib for the signed-in account.
import { deliveryStatusOfSentCopy } from "@/lib/compose/sent-status";
import { currentAccount } from "@/app/_server/mail";
import { LocalTime } from "./local-time";

const LABEL = {
  queued: "Queued",
  deferred: "Deferred",
  delivered: "Delivered",
  bounced: "Bounced",
  cancelled: "Cancelled",
} as const;

export async function DeliveryStatus({ messageId }: { messageId: string }) {
  const account = await currentAccount();
  const statuses = await deliveryStatusOfSentCopy(account.id, messageId);
  if (statuses.length === 0) return null;
  return (
    <section className="delivery-status" aria-label="Delivery status">
      <h3 className="small">Delivery</h3>
      <ul>
        {statuses.map((s) => (
          <li key={s.recipient} data-testid="delivery-status" data-status={s.status}>
            <span className="address">{s.recipient}</span>: <strong>{LABEL[s.status]}</strong>
            {s.status === "deferred" || s.status === "bounced" ? (
              <span className="muted small"> — {s.lastReply ?? "no reply from the server"}</span>
            ) : null}
            {s.nextAttemptAt && s.status === "deferred" ? (
              <span className="muted small">
                {" "}
                (next try <LocalTime iso={s.nextAttemptAt.toISOString()} />)
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
