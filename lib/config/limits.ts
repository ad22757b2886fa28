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

// Sign-in throttling (lib/auth/login-throttle.ts), after Dovecot's auth
// penalty, mox's failed-auth limiter and OWASP's advice to slow guessers down
// rather than lock accounts: failures are counted per address and client
// network ("pair") and per network, and an attempt with recent failures is
// answered late, never refused for the whole world. A correct password from
// another network is never delayed by a stranger's failures.

/** Half-life of a failure in the counts: it weighs half after 15 minutes, so a count is about the last 20 minutes' failures and a slow guesser is delayed, never locked. */
export const LOGIN_FAILURE_HALF_LIFE_SECONDS = 15 * 60;

/** Delay before checking an attempt that follows one failure of the same pair: Dovecot's first auth penalty (2 s), doubling with each further failure. */
export const LOGIN_FIRST_DELAY_MS = 2_000;

/** Longest delay before an attempt is checked: Dovecot's cap (15 s). A guesser gets at most 4 tries a minute per pair; clients' reply timeouts (60 s and more) are never reached. */
export const LOGIN_MAX_DELAY_MS = 15_000;

/** Failures of one pair after which it is refused unchecked for LOGIN_LOCK_SECONDS (reached after about 1.5 minutes of growing delays); only that address from that network is refused. */
export const LOGIN_PAIR_LOCK_FAILURES = 10;

/** A pair's in-flight attempts older than this are forgotten (a process died mid-check): a check takes well under a second. */
export const LOGIN_PENDING_SECONDS = 60;

/** How long a locked pair or network is refused: 15 minutes, the lockout period most webmails use. Half the failures have decayed by then, so a guesser who goes on is locked again after 5 more. */
export const LOGIN_LOCK_SECONDS = 15 * 60;

/** Failures from one network, any address, before its attempts are delayed: a NAT full of people mistyping their passwords is not slowed. */
export const LOGIN_NETWORK_FREE_FAILURES = 20;

/** Beyond the free failures the network's delay doubles every this many more, from LOGIN_FIRST_DELAY_MS to LOGIN_MAX_DELAY_MS (reached at 51). */
export const LOGIN_NETWORK_DELAY_STEP = 10;

/** Failures from one network after which addresses not known there are refused for LOGIN_LOCK_SECONDS: with 15 s delays only a parallel flood gets here (mox refuses a network after 10 a minute; this is far higher, because a NAT is many people). */
export const LOGIN_NETWORK_LOCK_FAILURES = 300;

/** An address that signed in from a network within 30 days is known there: the network's delays and lock pass it by (OWASP's device cookie, by network), its pair throttle still applies. */
export const LOGIN_KNOWN_NETWORK_DAYS = 30;

/** Networks remembered per account: a phone roaming across carriers has dozens; older ones are forgotten. */
export const LOGIN_KNOWN_NETWORKS_KEPT = 50;

/** IPv6 clients are counted by /64, the smallest prefix a home or a phone is given (RFC 6177): one guesser rotating addresses inside it is still one network. */
export const LOGIN_IPV6_PREFIX_BITS = 64;

/** A throttle row is forgotten 12 half-lives (3 hours) after its last attempt: by then 300 failures weigh less than 0.1. */
export const LOGIN_THROTTLE_MEMORY_SECONDS = 12 * LOGIN_FAILURE_HALF_LIFE_SECONDS;

/** Sign-in events kept per account: the Security page shows the latest 50; the rest is room for an attack's many networks without losing last week. */
export const SIGN_IN_EVENTS_KEPT = 200;

/** Repeats of one outcome from one client within an hour are one event with a count: a phone's IMAP logins every few minutes stay one line. */
export const SIGN_IN_EVENT_MERGE_SECONDS = 3600;

/** A web session unused this long ends: 30 days, next-auth's JWT lifetime, so the row and the cookie expire together. */
export const WEB_SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** A session's last-seen time and address are written at most every 5 minutes, not on every request. */
export const WEB_SESSION_TOUCH_SECONDS = 5 * 60;

/** Web sessions kept per account: each sign-in prunes the oldest beyond this, so signing in in a loop cannot grow the table. */
export const WEB_SESSIONS_PER_ACCOUNT = 50;

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

/** Failed POP3 logins on one connection before it is closed (the sign-in throttle still counts each one). */
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

/** Letters (a–z) in a generated app password: 16 give 75 bits, shown as four groups of four as Google's are; the first APP_PASSWORD_LOOKUP_CHARS are stored in clear to find its hash, leaving 56 bits behind argon2id. */
export const APP_PASSWORD_LENGTH = 16;
export const APP_PASSWORD_LOOKUP_CHARS = 4;

/** App passwords one account may hold: one per device is the use, and each is a way in. */
export const MAX_APP_PASSWORDS_PER_ACCOUNT = 50;

/** Longest name of an app password ("Phone", "Thunderbird at work"). */
export const MAX_APP_PASSWORD_NAME_LENGTH = 100;

/** How often an open IMAP/POP3 session re-reads that its app password still exists, besides hearing its revocation at once through LISTEN (a notification lost while the LISTEN connection was down). */
export const APP_PASSWORD_RECHECK_SECONDS = 30;

/** How often a used app password's last-used time and address are written: each login would otherwise write a row. */
export const APP_PASSWORD_TOUCH_SECONDS = 60;

/** Longest grace period an admin may give before two-step verification is required: a quarter is time enough to enrol every device. */
export const MAX_TWO_STEP_GRACE_DAYS = 90;

/** How long a webmail change (archive, delete to Trash, move, junk, mark read) can be undone, also after a reload: Outlook.com's toast stays about this long. */
export const UNDO_WINDOW_SECONDS = 30;

/** Messages a bulk job ("select all N") changes per transaction: short row locks, progress every batch. */
export const BULK_JOB_BATCH_SIZE = 200;

/** How long a bulk job's runner holds it between batches; a dead runner's job is taken over after this. */
export const BULK_JOB_LEASE_SECONDS = 30;
// Two-step verification (lib/accounts/two-step-factors.ts, lib/accounts/pending-sign-in.ts).

/** Authenticator codes are accepted one 30-second step either side of now (RFC 6238 §5.2 suggests at most one step of network delay). */
export const TOTP_WINDOW_STEPS = 1;

/** Recovery codes made when two-step is turned on: 10, as GitHub and Google give. */
export const RECOVERY_CODE_COUNT = 10;

/** A password step waits this long for its second step: 5 minutes, time to find a phone, short enough that a left browser does not keep a half sign-in. */
export const PENDING_SIGN_IN_SECONDS = 5 * 60;

/** An enrolment started but not confirmed is dropped after this: 15 minutes. */
export const TOTP_ENROLMENT_SECONDS = 15 * 60;

/** A passkey ceremony's challenge is good for this long: 5 minutes, the browser's own prompt times out sooner (WebAuthn §5.4 timeout). */
export const WEBAUTHN_CHALLENGE_SECONDS = 5 * 60;

/** How long the browser's passkey prompt waits, in milliseconds (WebAuthn §5.4 timeout): 2 minutes. */
export const WEBAUTHN_TIMEOUT_MS = 2 * 60 * 1000;

/** Passkeys an account may have: 20, more than anyone carries; each sign-in lists them to the browser. */
export const MAX_PASSKEYS_PER_ACCOUNT = 20;

/** Browsers remembered per account for the new-device notice: 50, like the known networks; the least recently used go first. */
export const KNOWN_DEVICES_KEPT = 50;

/** The device cookie lives 400 days, the longest Chromium keeps a cookie. */
export const DEVICE_COOKIE_SECONDS = 400 * 86_400;
