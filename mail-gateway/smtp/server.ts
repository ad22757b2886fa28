// The inbound MX server: builds smtp-server's options and wires the hooks.
// Policy lives in lib/delivery, replies in replies.ts; this file only wires.
import { SMTPServer } from "smtp-server";
import { MAX_RECIPIENTS_PER_MESSAGE } from "../../lib/config/limits.ts";
import type { DnsResolver } from "../../lib/dns/index.ts";
import type { ContentScorer } from "../../lib/spam/verdict.ts";
import { createOnData } from "./on-data.ts";
import { createOnMailFrom } from "./on-mail-from.ts";
import { createConnectionLimit } from "./on-connect.ts";
import { createOnRcptTo } from "./on-rcpt-to.ts";
import { installEnhancedStatusReplies } from "./replies.ts";
import type { TlsCredentials } from "./tls.ts";
import { TransactionState } from "./transaction.ts";

export type InboundServerOptions = {
  /** Our name in the greeting, EHLO reply and Received headers. */
  hostname: string;
  maxMessageBytes: number;
  tls: TlsCredentials;
  resolver: DnsResolver;
  spoolDir: string;
  /** The verdict pipeline's content step (lib/spam/verdict.ts); default none. */
  contentScorer?: ContentScorer;
  log: (line: string) => void;
  track: <T>(work: Promise<T>) => Promise<T>;
};

export function createInboundServer(options: InboundServerOptions): SMTPServer {
  installEnhancedStatusReplies();
  const state = new TransactionState();
  const connections = createConnectionLimit(options.log);
  return new SMTPServer({
    name: options.hostname,
    banner: "ready",
    key: options.tls.key,
    cert: options.tls.cert,
    // Offered on the plain port, never required: MX traffic is opportunistic (RFC 3207 §4, RFC 7435).
    hideSTARTTLS: false,
    // RFC 1870: advertised and enforced on the bytes received.
    size: options.maxMessageBytes,
    // RFC 2034: the codes the issue and RFC 3463 define, on every reply.
    hideENHANCEDSTATUSCODES: false,
    // PIPELINING (RFC 2920), 8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) are on by default.
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    // Submission (with AUTH) is a separate port; the MX port takes no logins.
    authOptional: true,
    disabledCommands: ["AUTH"],
    // No DNS here, and a PTR name proves nothing worth a lookup per connection.
    disableReverseLookup: true,
    // RFC 5321 §4.5.3.1.8 asks for at least 100; more get 452 4.5.3 (§4.5.3.1.10).
    maxRecipients: MAX_RECIPIENTS_PER_MESSAGE,
    logger: false,
    onConnect: connections.onConnect,
    onClose: connections.onClose,
    onMailFrom: createOnMailFrom(state, options.log),
    onRcptTo: createOnRcptTo(state, options.log),
    onData: createOnData(state, options),
  });
}
