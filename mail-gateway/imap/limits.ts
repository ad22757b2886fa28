// Limits of the IMAP server, each with why it has the value it has. The
// message size limit is the service's (config.maxMessageBytes, APPEND).

/** Longest command line (between literals): RFC 7162 §4 asks servers to take lines of at least 8192 octets; clients send long UID sets. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Largest literal outside APPEND (a LOGIN password, a SEARCH string): nothing legitimate comes near it. */
export const MAX_COMMAND_LITERAL_BYTES = 64 * 1024;

/** Largest whole command outside APPEND, literals included: bounds the memory one connection can pin. */
export const MAX_COMMAND_BYTES = 1024 * 1024;

/** BAD replies a connection may collect before it is closed: a client that keeps sending garbage is not a client. */
export const MAX_BAD_COMMANDS = 20;

/** Nesting of parenthesised lists and SEARCH keys: real clients nest a handful; deep nesting is an attack on the parser's stack. */
export const MAX_NESTING = 40;

/** Ranges in one sequence set: mbsync and Thunderbird send hundreds; a million would be an attack on the query planner. */
export const MAX_SEQUENCE_RANGES = 10_000;

/** Idle time before an unauthenticated connection is closed. */
export const PRELOGIN_TIMEOUT_MS = 60_000;

/** Idle time before an authenticated connection is closed: RFC 3501 §5.4 asks for at least 30 minutes. */
export const AUTOLOGOUT_MS = 30 * 60_000;

/** Messages read from the database per query while a FETCH streams out. */
export const FETCH_BATCH = 200;

/** Messages read per query when their whole sources are needed: each may be as large as the message size limit. */
export const FETCH_BATCH_WHOLE = 20;

/** Bytes of message bodies read per FETCH batch at most: large messages come one at a time. */
export const FETCH_BATCH_BYTES = 8 * 1024 * 1024;
