// lib/delivery: inbound mail rules, no protocol. Owns who a recipient is
// (accounts, aliases, catch-alls, lists, quota and relay decisions), the
// spooling of received bytes, authentication verdicts, trace headers, and
// the hand-over to lib/store, which alone writes. Does not own SMTP replies
// (mail-gateway/smtp/replies.ts) nor outbound sending (lib/queue, relay).
export * from "./authenticate-message.ts";
export * from "./deliver-inbound.ts";
export * from "./held-messages.ts";
export * from "./resolve-recipient.ts";
export * from "./spool.ts";
export * from "./trace-headers.ts";
export * from "./vacation.ts";
