"use client";

// "Block sender" and "Never send to Junk" under a received message: they put
// its From address on the user's blocked or safe senders (Settings lists them).
import { useState, useTransition } from "react";
import { senderListAction } from "../actions";

export function SenderButtons({ messageId, inJunk }: { messageId: string; inJunk: boolean }) {
  const [status, setStatus] = useState("");
  const [pending, startTransition] = useTransition();
  const act = (block: boolean) =>
    startTransition(async () => {
      const result = await senderListAction(messageId, block);
      setStatus(
        !result.ok
          ? result.error
          : block
            ? `Blocked ${result.id}: their mail goes to Junk.`
            : `${result.id} is a safe sender: their mail never goes to Junk.`,
      );
    });
  return (
    <p className="sender-buttons">
      {inJunk ? null : (
        <button
          type="button"
          className="button small quiet"
          disabled={pending}
          onClick={() => act(true)}
        >
          Block sender
        </button>
      )}
      <button
        type="button"
        className="button small quiet"
        disabled={pending}
        onClick={() => act(false)}
      >
        Never send to Junk
      </button>
      {status ? <span role="status">{status}</span> : null}
    </p>
  );
}
