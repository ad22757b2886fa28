// lib/live: change notifications for long-lived clients (the webmail's
// server-sent events; IMAP IDLE later). Owns one LISTEN connection per
// process and the fan-out to subscribers by account. Does not own what is
// notified: lib/store sends NOTIFY inside its transactions, so every web
// instance hears every change, whichever instance or gateway made it.
export * from "./listen-changes.ts";
