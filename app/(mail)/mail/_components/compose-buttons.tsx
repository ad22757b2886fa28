"use client";

// Reply, Reply all and Forward under a message in the reading pane (Edit
// for a draft); they ask the ComposeHost to open the composer.
import { COMPOSE_EVENT, type ComposeMode } from "./compose-host";

function open(mode: ComposeMode, messageId: string) {
  window.dispatchEvent(new CustomEvent(COMPOSE_EVENT, { detail: { mode, messageId } }));
}

export function ComposeButtons({ messageId, draft }: { messageId: string; draft: boolean }) {
  if (draft) {
    return (
      <p className="compose-buttons">
        <button type="button" className="button small" onClick={() => open("draft", messageId)}>
          Edit draft
        </button>
      </p>
    );
  }
  return (
    <p className="compose-buttons">
      <button type="button" className="button small" onClick={() => open("reply", messageId)}>
        Reply
      </button>
      <button type="button" className="button small" onClick={() => open("reply-all", messageId)}>
        Reply all
      </button>
      <button type="button" className="button small" onClick={() => open("forward", messageId)}>
        Forward
      </button>
    </p>
  );
}
