// What a signed-in user changes about their own account: display name,
// signature, password, vacation auto-reply. Every function takes the
// account id from the session and validates its input here, so the web
// actions only pass form values through. Service-wide settings an admin
// changes are in settings.ts; admin changes to accounts in manage.ts.
import { z } from "zod";
import {
  DEFAULT_VACATION_REPLY_INTERVAL_DAYS,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_SIGNATURE_LENGTH,
  MAX_VACATION_BODY_LENGTH,
  MAX_VACATION_REPLY_INTERVAL_DAYS,
  MAX_VACATION_SUBJECT_LENGTH,
  MIN_VACATION_REPLY_INTERVAL_DAYS,
} from "../config/limits.ts";
import { db } from "../db.ts";
import { UserError, isUserError } from "../errors.ts";
import { hashPassword } from "../auth/password.ts";
import { passwordProblem } from "../auth/password-policy.ts";
import { storableString } from "../validation/storable-text.ts";
import { authenticate, type LoginContext } from "./authenticate.ts";
import { mailLayoutSchema, readMailLayout, type MailLayout } from "./mail-layout.ts";
import { displayNameProblem, senderAddresses } from "./sender-addresses.ts";
import { updateAccountEndingSessions } from "./web-sessions.ts";

export type UserSettings = {
  address: string;
  displayName: string;
  /** Plain text; the composer inserts it below new messages and replies. */
  signature: string;
  vacation: VacationSettings;
};

export type VacationSettings = {
  enabled: boolean;
  subject: string;
  body: string;
  /** Inclusive calendar dates (YYYY-MM-DD) in timeZone; null: open-ended. */
  startDate: string | null;
  endDate: string | null;
  timeZone: string;
  replyIntervalDays: number;
};

const DEFAULT_VACATION: VacationSettings = {
  enabled: false,
  subject: "",
  body: "",
  startDate: null,
  endDate: null,
  timeZone: "UTC",
  replyIntervalDays: DEFAULT_VACATION_REPLY_INTERVAL_DAYS,
};

// Header-bound text (display name, subject): CR/LF would start a new header
// line (injection) and other controls have no business there.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// Multi-line text (signature, vacation body) keeps tabs and line breaks.
const CONTROL_CHARS_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const oneLineText = (max: number, what: string) =>
  storableString()
    .trim()
    .max(max, `Use at most ${max} characters.`)
    .refine((v) => !CONTROL_CHARS.test(v), `The ${what} must be one line of plain text.`);

const multiLineText = (max: number) =>
  z
    .string()
    .transform((v) => v.replace(/\r\n?/g, "\n").trimEnd())
    .pipe(
      storableString()
        .max(max, `Use at most ${max} characters.`)
        .refine((v) => !CONTROL_CHARS_EXCEPT_LINES.test(v), "Remove the control characters."),
    );

export const profileSchema = z.object({
  displayName: oneLineText(MAX_DISPLAY_NAME_LENGTH, "name"),
  signature: multiLineText(MAX_SIGNATURE_LENGTH),
});

/** Whether `zone` is an IANA time zone this runtime knows. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const calendarDate = z
  .string()
  .trim()
  .transform((v) => (v === "" ? null : v))
  .pipe(
    z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter a date.")
      .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), "Enter a real date.")
      .nullable(),
  );

export const vacationSchema = z
  .object({
    enabled: z.boolean(),
    subject: oneLineText(MAX_VACATION_SUBJECT_LENGTH, "subject"),
    body: multiLineText(MAX_VACATION_BODY_LENGTH),
    startDate: calendarDate,
    endDate: calendarDate,
    timeZone: z.string().max(100).refine(isTimeZone, "Unknown time zone.").catch("UTC"),
    replyIntervalDays: z.coerce
      .number({ error: "Enter a number of days." })
      .int("Enter a whole number of days.")
      .min(
        MIN_VACATION_REPLY_INTERVAL_DAYS,
        `Use ${MIN_VACATION_REPLY_INTERVAL_DAYS} to ${MAX_VACATION_REPLY_INTERVAL_DAYS} days.`,
      )
      .max(
        MAX_VACATION_REPLY_INTERVAL_DAYS,
        `Use ${MIN_VACATION_REPLY_INTERVAL_DAYS} to ${MAX_VACATION_REPLY_INTERVAL_DAYS} days.`,
      ),
  })
  .refine((v) => !v.startDate || !v.endDate || v.startDate <= v.endDate, {
    message: "The last day cannot be before the first day.",
    path: ["endDate"],
  })
  .refine((v) => !v.enabled || v.body.trim() !== "", {
    message: "Write the message people get while you are away.",
    path: ["body"],
  });

export type VacationInput = z.input<typeof vacationSchema>;

/** The first problem of a failed parse as a UserError naming its field. */
function invalid(error: z.ZodError): UserError {
  const issue = error.issues[0]!;
  return new UserError("invalid_input", issue.message, String(issue.path[0] ?? ""));
}

export async function getUserSettings(accountId: string): Promise<UserSettings> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { address: true, displayName: true, signature: true, vacation: true },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  const v = account.vacation;
  return {
    address: account.address,
    displayName: account.displayName,
    signature: account.signature,
    vacation: v
      ? {
          enabled: v.enabled,
          subject: v.subject,
          body: v.body,
          startDate: v.startDate,
          endDate: v.endDate,
          timeZone: v.timeZone,
          replyIntervalDays: v.replyIntervalDays,
        }
      : DEFAULT_VACATION,
  };
}

/** Saves display name and signature; throws UserError with the field at fault. */
export async function updateProfile(
  accountId: string,
  input: z.input<typeof profileSchema>,
): Promise<void> {
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  // The name goes into the From of every message: it must not read as
  // someone else's address (the rule submission applies when sending).
  const problem = displayNameProblem(await senderAddresses(accountId), parsed.data.displayName);
  if (problem) throw new UserError("invalid_input", problem, "displayName");
  await db.account.update({ where: { id: accountId }, data: parsed.data });
}

/**
 * Saves the vacation auto-reply. Each save forgets who was already answered,
 * so everyone who writes during a new or changed absence gets one reply.
 */
export async function updateVacation(accountId: string, input: VacationInput): Promise<void> {
  const parsed = vacationSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  const data = parsed.data;
  await db.$transaction([
    db.vacationResponder.upsert({
      where: { accountId },
      create: { accountId, ...data },
      update: data,
    }),
    db.vacationReply.deleteMany({ where: { accountId } }),
  ]);
}

/**
 * Checks the signed-in user's own password again before a sensitive change
 * (password change, turning two-step off), through the sign-in rules: the
 * same throttling and history as any sign-in. Errors name `field`.
 */
export async function verifyCurrentPassword(
  address: string,
  password: string,
  context: Pick<LoginContext, "ip">,
  field: string,
): Promise<void> {
  if (!password) throw new UserError("invalid_input", "Enter your current password.", field);
  try {
    await authenticate(address, password.slice(0, MAX_PASSWORD_LENGTH + 1), {
      ip: context.ip,
      protocol: "web",
    });
  } catch (error) {
    if (!isUserError(error)) throw error;
    const message =
      error.code === "invalid_credentials" ? "Your current password is not right." : error.message;
    throw new UserError(error.code, message, field);
  }
}

/**
 * Changes the password after checking the current one through the login
 * rules (same throttling, so a left-open session cannot be used to guess
 * it). Ends every session of the account in the same transaction
 * (updateAccountEndingSessions), this one included: the caller signs in again with the new
 * password. Throws UserError for currentPassword or newPassword.
 */
export async function changePassword(
  accountId: string,
  input: { currentPassword: string; newPassword: string },
  context: Pick<LoginContext, "ip">,
): Promise<void> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { address: true },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  await verifyCurrentPassword(account.address, input.currentPassword, context, "currentPassword");
  const weak = passwordProblem(input.newPassword, { address: account.address });
  if (weak) throw new UserError("weak_password", weak, "newPassword");
  if (input.newPassword === input.currentPassword) {
    throw new UserError(
      "weak_password",
      "Choose a password different from the current one.",
      "newPassword",
    );
  }
  const passwordHash = await hashPassword(input.newPassword);
  await updateAccountEndingSessions(accountId, { passwordHash });
}

/** Where the webmail's reading pane sits and how dense its list is (Account.settings.layout). */
export async function getMailLayout(accountId: string): Promise<MailLayout> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { settings: true },
  });
  const settings = account?.settings;
  return readMailLayout(
    typeof settings === "object" && settings !== null && !Array.isArray(settings)
      ? (settings as Record<string, unknown>).layout
      : undefined,
  );
}

/** Saves the list layout; UserError "invalid_input" for anything but the offered choices. */
export async function updateMailLayout(accountId: string, input: unknown): Promise<void> {
  const layout = mailLayoutSchema.safeParse(input);
  if (!layout.success) {
    throw new UserError("invalid_input", "Choose a reading pane and a density from the lists.");
  }
  // One statement merging the key: other settings written meanwhile stay.
  await db.$executeRaw`
    UPDATE "Account" SET "settings" = COALESCE("settings", '{}'::jsonb) || jsonb_build_object('layout', ${JSON.stringify(layout.data)}::jsonb)
    WHERE "id" = ${accountId}::uuid`;
}
