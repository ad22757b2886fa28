"use client";

import { useState } from "react";
import { trustSenderAction } from "../actions";

// A message's HTML in a sandboxed iframe: no allow-scripts, no
// allow-same-origin (the frame's document is an opaque origin that can
// neither run code nor reach this page); popups only, for links, which open
// in a new tab without an opener. Remote images stay blocked (the frame's
// CSP) until the user asks for them.
export function HtmlBody({
  messageId,
  remoteContent,
  trusted,
  sender,
}: {
  messageId: string;
  remoteContent: boolean;
  trusted: boolean;
  sender: string;
}) {
  const [showImages, setShowImages] = useState(trusted);
  const [note, setNote] = useState("");
  return (
    <>
      {remoteContent && !showImages ? (
        <div className="images-bar" role="note">
          <span>Remote images in this message are hidden to protect your privacy.</span>
          <button type="button" className="button small" onClick={() => setShowImages(true)}>
            Show images
          </button>
          {sender ? (
            <button
              type="button"
              className="button small quiet"
              onClick={async () => {
                setShowImages(true);
                const result = await trustSenderAction(sender);
                setNote(result.ok ? `Images from ${sender} will always be shown.` : result.error);
              }}
            >
              Always show from this sender
            </button>
          ) : null}
        </div>
      ) : null}
      {note ? (
        <p className="muted small" role="status">
          {note}
        </p>
      ) : null}
      <iframe
        className="message-frame"
        title="Message body"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        referrerPolicy="no-referrer"
        src={`/api/messages/${messageId}/frame${showImages ? "?images=1" : ""}`}
        data-testid="message-frame"
      />
    </>
  );
}
