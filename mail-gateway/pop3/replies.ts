// POP3 replies for errors, in one place. RFC 3206 response codes tell the
// client what to do: [AUTH] ask the user for the password again, [SYS/TEMP]
// try later without asking, [SYS/PERM] tell the user to see an administrator;
// RFC 2449 §8.1.1 [LOGIN-DELAY]: not allowed to log in again until a delay
// has passed (the password may be right, so asking for it again is wrong).
import { isUserError } from "../../lib/errors.ts";

export const REPLIES = {
  temporaryFailure: "-ERR [SYS/TEMP] Temporary server failure, try again later",
  badCredentials: "-ERR [AUTH] Wrong address or password",
  // RFC 2595 §4 / Dovecot's wording: plain-text passwords need TLS first.
  tlsRequired: "-ERR [AUTH] Plain-text login is disabled without TLS; use STLS first",
  disabled: "-ERR [SYS/PERM] This account is disabled, contact your administrator",
  noSuchMessage: "-ERR No such message",
  alreadyDeleted: "-ERR Message already deleted",
  messageGone: "-ERR Message was removed by another session",
  lineTooLong: "-ERR Line too long",
  nulInCommand: "-ERR NUL is not allowed in a command",
  tooManyBadCommands: "-ERR Too many bad commands, closing connection",
  tooManyLoginFailures: "-ERR [AUTH] Too many failed logins, closing connection",
  shuttingDown: "-ERR [SYS/TEMP] Server shutting down, try again later",
  idleTimeout: "-ERR Autologout; idle for too long",
} as const;

/** The reply for a failed login: credentials, throttling, disabled account or a server fault. */
export function loginFailureReply(error: unknown): string {
  if (isUserError(error)) {
    if (error.code === "throttled") return `-ERR [LOGIN-DELAY] ${error.message}`;
    if (error.code === "account_disabled") return REPLIES.disabled;
    // RFC 3206 §4: [AUTH], with the reason (use an app password) as its text.
    if (error.code === "app_password_required") return `-ERR [AUTH] ${error.message}`;
    return REPLIES.badCredentials;
  }
  return REPLIES.temporaryFailure;
}
