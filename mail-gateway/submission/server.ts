// The submission server (RFC 6409, port 587 in production): desktop and
// phone clients send through it after AUTH PLAIN or LOGIN (RFC 4954), only
// after STARTTLS unless ALLOW_INSECURE_AUTH is set for development. Rules
// live in lib/submission (the same path the webmail composer uses); this
// file wires smtp-server's hooks to it and maps errors to replies.
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from "smtp-server";
import { authenticate } from "../../lib/accounts/authenticate.ts";
import { maySendAs } from "../../lib/accounts/sender-addresses.ts";
import { MAX_RECIPIENTS_PER_MESSAGE } from "../../lib/config/limits.ts";
import { isUserError } from "../../lib/errors.ts";
import {
  routeSubmissionRecipient,
  submitMessage,
  type SubmissionRoute,
} from "../../lib/submission/submit-message.ts";
import { clientIpOf, describeSession } from "../smtp/describe-session.ts";
import {
  deliveryReply,
  installEnhancedStatusReplies,
  replyError,
  SUBMISSION_REPLIES,
  submissionReplyForError,
  TEMPORARY_FAILURE,
} from "../smtp/replies.ts";
import type { TlsCredentials } from "../smtp/tls.ts";
import { TransactionState } from "../smtp/transaction.ts";

export type SubmissionServerOptions = {
  hostname: string;
  maxMessageBytes: number;
  tls: TlsCredentials;
  allowInsecureAuth: boolean;
  log: (line: string) => void;
  track: <T>(work: Promise<T>) => Promise<T>;
};

type User = { accountId: string; address: string };

const userOf = (session: SMTPServerSession) => session.user as unknown as User;

export function createSubmissionServer(options: SubmissionServerOptions): SMTPServer {
  installEnhancedStatusReplies();
  // Routes decided at RCPT time travel to DATA instead of being looked up again.
  const state = new TransactionState<SubmissionRoute>();
  return new SMTPServer({
    name: options.hostname,
    banner: "ready (submission)",
    key: options.tls.key,
    cert: options.tls.cert,
    hideSTARTTLS: false,
    size: options.maxMessageBytes,
    hideENHANCEDSTATUSCODES: false,
    authMethods: ["PLAIN", "LOGIN"],
    // RFC 6409 §4.3: submission requires authentication before MAIL.
    authOptional: false,
    // RFC 4954 §4: no passwords over plain text unless explicitly allowed.
    allowInsecureAuth: options.allowInsecureAuth,
    disableReverseLookup: true,
    maxRecipients: MAX_RECIPIENTS_PER_MESSAGE,
    logger: false,

    onAuth(auth: SMTPServerAuthentication, session, callback) {
      const ip = clientIpOf(session);
      authenticate(auth.username ?? "", auth.password ?? "", { ip, protocol: "smtp" }).then(
        (account) => callback(null, { user: { accountId: account.id, address: account.address } }),
        (error: unknown) => {
          if (isUserError(error) && error.code === "throttled") {
            return callback(
              replyError({ ...SUBMISSION_REPLIES.authThrottled, text: error.message }),
            );
          }
          if (isUserError(error) && error.code === "app_password_required") {
            return callback(
              replyError({ ...SUBMISSION_REPLIES.badCredentials, text: error.message }),
            );
          }
          if (isUserError(error)) return callback(replyError(SUBMISSION_REPLIES.badCredentials));
          options.log(`submission: auth failed: ${(error as Error).message}`);
          callback(replyError(TEMPORARY_FAILURE));
        },
      );
    },

    onMailFrom(address, session, callback) {
      state.begin(session.envelope);
      maySendAs(userOf(session).accountId, address.address).then(
        (ok) => callback(ok ? null : replyError(SUBMISSION_REPLIES.senderNotOwned)),
        () => callback(replyError(TEMPORARY_FAILURE)),
      );
    },

    onRcptTo(address, session, callback) {
      // Hosted recipients that cannot take mail are refused now, per recipient.
      routeSubmissionRecipient(
        address.address,
        session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
      ).then(
        (route) => {
          state.addRecipient(session.envelope, address.address, route);
          callback();
        },
        (error: unknown) => callback(replyError(submissionReplyForError(error))),
      );
    },

    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => {
        // Past the limit the rest is drained, not kept (smtp-server counts it).
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.once("end", () => {
        if (stream.sizeExceeded) {
          return callback(replyError(deliveryReply("too_large")));
        }
        const described = describeSession(session, session.id);
        const routes = state.acceptedRecipients(session.envelope);
        const work = submitMessage({
          accountId: userOf(session).accountId,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          recipients: routes.map((r) => r.address),
          routes,
          raw: Buffer.concat(chunks),
          via: {
            protocol: "smtp",
            clientIp: clientIpOf(session),
            helo: described.helo,
            tls: described.tls,
          },
        });
        options.track(work).then(
          (result) => callback(null, `Message accepted ${result.messageId}`),
          (error: unknown) => {
            const reply = submissionReplyForError(error);
            if (reply === TEMPORARY_FAILURE) options.log(`submission: ${(error as Error).message}`);
            callback(replyError(reply));
          },
        );
      });
    },
  });
}
