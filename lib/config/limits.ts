// Limits of the service, one place, each with why it has the value it has.
// Values an admin may change at run time live in the Setting table
// (lib/accounts/settings.ts); these are the defaults and hard bounds.

/** Default mailbox quota for new accounts: 1 GiB, Outlook.com's free tier is larger, but self-hosted disks are small. */
export const DEFAULT_QUOTA_BYTES = 1024n * 1024n * 1024n;

/** Largest message accepted over SMTP or from the composer: 25 MiB, what Gmail and Outlook accept. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** RFC 5321 §4.5.3.1.8 requires at least 100 recipients per message; more is refused with 452 4.5.3. */
export const MAX_RECIPIENTS_PER_MESSAGE = 100;

/** More Received: headers than this is a mail loop (RFC 5321 §6.3 suggests 100; Postfix uses 50; we refuse at 30 as the issue asks). */
export const MAX_RECEIVED_HEADERS = 30;

/** Shortest password accepted at signup or password change (NIST SP 800-63B recommends at least 8; we ask 10). */
export const MIN_PASSWORD_LENGTH = 10;

/** Longest password hashed: argon2 can take any length, but a megabyte password is a CPU attack. */
export const MAX_PASSWORD_LENGTH = 256;

/** Failed logins allowed per account in LOGIN_WINDOW_SECONDS before further attempts are refused. */
export const LOGIN_FAILURES_PER_ACCOUNT = 5;

/** Failed logins allowed per client IP in LOGIN_WINDOW_SECONDS (several users can share one NAT). */
export const LOGIN_FAILURES_PER_IP = 20;

/** Window for login throttling: 15 minutes, the lockout period most webmails use. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Signups allowed per client IP per hour: enough for a family behind one NAT, too few for a spam farm. */
export const SIGNUPS_PER_IP_PER_HOUR = 5;

/** Local part length limit, RFC 5321 §4.5.3.1.1. */
export const MAX_LOCAL_PART_LENGTH = 64;

/** Display-name length limit: keeps headers within RFC 5322 line limits once encoded. */
export const MAX_DISPLAY_NAME_LENGTH = 100;

/** Signature length: a few lines of contact details fit many times over; the composer inserts it into every message. */
export const MAX_SIGNATURE_LENGTH = 2000;

/** Vacation auto-reply subject length: one header line (RFC 5322 §2.1.1 recommends 78 characters; 200 leaves room for non-Latin text). */
export const MAX_VACATION_SUBJECT_LENGTH = 200;

/** Vacation auto-reply body length: a short note, not a newsletter. */
export const MAX_VACATION_BODY_LENGTH = 5000;

/** Default days between two vacation replies to one sender: Gmail's 4 days; RFC 3834 §2 asks for at most one per sender per "period of several days". */
export const DEFAULT_VACATION_REPLY_INTERVAL_DAYS = 4;

/** Bounds of that interval a user may choose (Sieve vacation, RFC 5230 §4.1, has a 1-day minimum; beyond a month the limit means nothing). */
export const MIN_VACATION_REPLY_INTERVAL_DAYS = 1;
export const MAX_VACATION_REPLY_INTERVAL_DAYS = 30;

/** Alias-to-alias nesting followed before a target is dropped as a loop (Postfix allows 1000; real setups nest 2-3 deep). */
export const MAX_ALIAS_DEPTH = 10;

/** Addresses one recipient may expand to (aliases, list members): Postfix's virtual_alias_expansion_limit is 1000 too. */
export const MAX_ALIAS_EXPANSION = 1000;

/** Messages up to this size are received in memory; larger ones go to a spool file so 20 parallel 25 MiB messages cost disk, not RAM. */
export const SPOOL_MEMORY_BYTES = 256 * 1024;

/** Body text indexed for search per message: tsvector caps at 1 MB and positions at 16383, so the start of a long body is what search can use anyway. */
export const MAX_SEARCH_TEXT_CHARS = 100_000;

/** Spooled (large) messages parsed, checked and stored at once: each holds a pooled connection for seconds and a few MB of buffers; 20 parallel 25 MiB uploads must fit in 250 MB. */
export const MAX_CONCURRENT_LARGE_DELIVERIES = 4;

/** Longest POP3 command line, CRLF included: RFC 2449 §4 allows 255 octets, RFC 5034 lets AUTH PLAIN's base64 of a 320-octet address and a 256-character password run longer. */
export const MAX_POP3_LINE_BYTES = 4096;

/** Unknown, malformed or out-of-state POP3 commands before the server hangs up: real clients make one or two, scanners make hundreds. */
export const MAX_POP3_BAD_COMMANDS = 10;

/** Failed POP3 logins on one connection before it is closed (the account and IP throttles still count each one). */
export const MAX_POP3_LOGIN_FAILURES = 3;

/** RFC 1939 §3: the POP3 inactivity autologout timer must be at least 10 minutes. */
export const POP3_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** How long a process trusts its copy of the admin's service settings: a change reaches every other instance within this time. */
export const SETTINGS_CACHE_MS = 5_000;

/** Bounds an admin may set for the default quota: 1 MiB (a mailbox that holds a few messages) to 1 TiB. */
export const MIN_SETTABLE_QUOTA_BYTES = 1024 * 1024;
export const MAX_SETTABLE_QUOTA_BYTES = 1024 * 1024 * 1024 * 1024;

/** Bounds an admin may set for the message size limit: 64 KiB (RFC 5321 §4.5.3.1.7 asks at least 64K) to 150 MiB (Exchange Online's largest). */
export const MIN_SETTABLE_MESSAGE_BYTES = 64 * 1024;
export const MAX_SETTABLE_MESSAGE_BYTES = 150 * 1024 * 1024;

/** Highest send limit an admin may set (messages an hour, recipients a day): beyond this the limit means nothing. */
export const MAX_SETTABLE_SEND_LIMIT = 1_000_000;

/** Random bytes in an invite code: 24 bytes (192 bits, 32 URL-safe characters) cannot be guessed, even with unlimited tries. */
export const INVITE_CODE_BYTES = 24;

/** Days an invite stays good unless the admin chooses otherwise: a week, like Mastodon's and Google Workspace's invitations. */
export const DEFAULT_INVITE_DAYS = 7;

/** Longest an admin may make an invite last: a forgotten code should not stay good for years. */
export const MAX_INVITE_DAYS = 365;

/** Most signups one invite may allow (a class or a team); more is what open signup is for. */
export const MAX_INVITE_USES = 1000;
