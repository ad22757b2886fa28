// The reading pane: a conversation's messages, oldest first, the newest (and
// the one opened) expanded. A server component: headers and text bodies are
// rendered here as React text (never as HTML); only the HTML body frame and
// dates are client islands.
import type { AttachmentInfo, MessageDetail } from "@/lib/store/get-message";
import { ComposeButtons } from "./compose-buttons";
import { SenderButtons } from "./sender-buttons";
import { DeliveryStatus } from "./delivery-status";
import { HtmlBody } from "./html-body";
import { LocalTime } from "./local-time";

type Address = { name: string; address: string };

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function AddressList({ list }: { list: Address[] }) {
  return (
    <>
      {list.map((a, i) => (
        <span key={i} className="address" title={a.address}>
          {a.name ? `${a.name} <${a.address}>` : a.address}
          {i < list.length - 1 ? ", " : ""}
        </span>
      ))}
    </>
  );
}

const PREVIEW_IMAGE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

function Attachments({
  messageId,
  attachments,
}: {
  messageId: string;
  attachments: AttachmentInfo[];
}) {
  if (attachments.length === 0) return null;
  return (
    <ul className="attachments" aria-label="Attachments">
      {attachments.map((a) => {
        const url = `/api/messages/${messageId}/attachments/${a.index}`;
        const name = a.filename || `attachment ${a.index + 1}`;
        const image = PREVIEW_IMAGE.test(a.contentType);
        const previewable = image || a.contentType === "application/pdf";
        return (
          <li key={a.index} className="attachment" data-testid="attachment">
            {image ? (
              // eslint-disable-next-line @next/next/no-img-element -- served by our own route, not a static asset
              <img className="thumb" src={`${url}?inline=1`} alt="" loading="lazy" />
            ) : (
              <span className="thumb file-icon" aria-hidden="true">
                {(name.split(".").pop() ?? "").slice(0, 4).toUpperCase() || "FILE"}
              </span>
            )}
            <span className="attachment-name">{name}</span>
            <span className="muted small">{formatSize(a.size)}</span>
            <span className="attachment-links">
              <a href={url} download>
                Download<span className="visually-hidden"> {name}</span>
              </a>
              {previewable ? (
                <a href={`${url}?inline=1`} target="_blank" rel="noopener noreferrer">
                  Preview<span className="visually-hidden"> {name}</span>
                </a>
              ) : null}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function MessageCard({
  message,
  expanded,
  showFolder,
  trustedSenders,
}: {
  message: MessageDetail;
  expanded: boolean;
  showFolder: boolean;
  trustedSenders: string[];
}) {
  const from = message.from.name || message.from.address || "(unknown sender)";
  // Inline parts of an HTML body are shown in it; everything else is listed.
  const listed = message.hasHtml
    ? message.attachments.filter((a) => !a.inline)
    : message.attachments;
  return (
    <details
      className="message-card"
      open={expanded}
      data-testid="conversation-message"
      data-message-id={message.id}
    >
      <summary>
        <span className="card-from">{from}</span>
        {/* Hidden once the card is opened (CSS); not there at all for one shown open. */}
        {message.snippet && !expanded ? (
          <span className="card-snippet" data-testid="card-snippet">
            {message.snippet}
          </span>
        ) : null}
        {showFolder ? <span className="folder-tag">{message.mailboxName}</span> : null}
        <span className="card-date">
          <LocalTime iso={message.date.toISOString()} />
        </span>
      </summary>
      <div className="card-body">
        {message.claimedLocalSender ? (
          // Mail from outside that says it is from one of our own addresses,
          // without SPF or DKIM for it: told apart by data, not by a header.
          <p className="spoof-warning" role="alert" data-testid="spoof-warning">
            Sent from outside — claims to be from your domain ({message.claimedLocalSender})
          </p>
        ) : null}
        {message.mailboxSpecialUse === "JUNK" && message.junkReasons.length > 0 ? (
          // The MX's verdict, as data on the copy (Message.spamVerdict).
          <p className="junk-reason" data-testid="junk-reason">
            In Junk because: {message.junkReasons.join("; ")}
          </p>
        ) : null}
        <dl className="message-headers">
          <dt>From</dt>
          <dd>
            <AddressList list={[message.from]} />
          </dd>
          {message.to.length > 0 ? (
            <>
              <dt>To</dt>
              <dd>
                <AddressList list={message.to} />
              </dd>
            </>
          ) : null}
          {message.cc.length > 0 ? (
            <>
              <dt>Cc</dt>
              <dd>
                <AddressList list={message.cc} />
              </dd>
            </>
          ) : null}
          <dt>Date</dt>
          <dd>
            <LocalTime iso={message.date.toISOString()} style="long" />
          </dd>
        </dl>
        <p className="message-links">
          <a href={`/api/messages/${message.id}/raw`} target="_blank" rel="noopener noreferrer">
            View original
          </a>
          <a href={`/api/messages/${message.id}/print`} target="_blank" rel="noopener noreferrer">
            Print
          </a>
          <a href={`/api/messages/${message.id}/raw?download=1`}>Download .eml</a>
        </p>
        {message.hasHtml ? (
          <HtmlBody
            messageId={message.id}
            remoteContent={message.remoteContent}
            trusted={
              // A claimed sender is not the trusted one it names.
              !message.claimedLocalSender &&
              trustedSenders.includes(message.from.address.toLowerCase())
            }
            sender={message.from.address}
          />
        ) : (
          <div className="text-body" data-testid="message-text">
            {message.text}
          </div>
        )}
        <Attachments messageId={message.id} attachments={listed} />
        {message.mailboxSpecialUse === "SENT" ? <DeliveryStatus messageId={message.id} /> : null}
        <ComposeButtons messageId={message.id} draft={message.mailboxSpecialUse === "DRAFTS"} />
        {message.mailboxSpecialUse === "SENT" || message.mailboxSpecialUse === "DRAFTS" ? null : (
          <SenderButtons messageId={message.id} inJunk={message.mailboxSpecialUse === "JUNK"} />
        )}
      </div>
    </details>
  );
}

export function Conversation({
  messages,
  openId,
  trustedSenders,
}: {
  messages: MessageDetail[];
  openId: string;
  trustedSenders: string[];
}) {
  const opened = messages.find((m) => m.id === openId) ?? messages[messages.length - 1]!;
  return (
    <article className="conversation" aria-labelledby="conversation-subject">
      <h2 id="conversation-subject" className="conversation-subject">
        {opened.subject || "(no subject)"}
      </h2>
      {messages.length > 1 ? (
        <p className="muted small">{messages.length} messages in this conversation</p>
      ) : null}
      {messages.map((m, i) => (
        <MessageCard
          key={m.id}
          message={m}
          expanded={i === messages.length - 1 || m.id === openId}
          showFolder={m.mailboxId !== opened.mailboxId}
          trustedSenders={trustedSenders}
        />
      ))}
    </article>
  );
}
