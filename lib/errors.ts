// Errors the user caused (bad input, limits, permissions) carry a stable code
// and are shown to them; anything else is a server fault, logged and shown as
// a generic failure. Each protocol maps codes once: HTTP in app/_server,
// SMTP in mail-gateway/smtp/replies.ts.

export type UserErrorCode =
  | "invalid_input"
  | "invalid_credentials"
  | "throttled"
  | "account_disabled"
  | "app_password_required"
  | "address_taken"
  | "address_reserved"
  | "domain_not_hosted"
  | "signup_closed"
  | "invite_required"
  | "invite_invalid"
  | "invite_revoked"
  | "invite_used"
  | "invite_expired"
  | "invite_wrong_domain"
  | "weak_password"
  | "not_found"
  | "forbidden"
  | "over_quota"
  | "too_large";

export class UserError extends Error {
  readonly code: UserErrorCode;
  /** The form field the error belongs to, when there is one. */
  readonly field: string | undefined;

  constructor(code: UserErrorCode, message: string, field?: string) {
    super(message);
    this.name = "UserError";
    this.code = code;
    this.field = field;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
