// lib/spam: what the MX decides about an inbound message before its 250,
// and why: refuse (550 5.7.1), Junk or Inbox (verdict.ts), from
// authentication results, DNS lists and a content scorer; the admin's
// settings for it (settings.ts). Owns no SMTP replies (mail-gateway) and no
// storage (lib/store files the copies where the verdict says); the content
// classifier and its training are a ContentScorer plugged in from outside.
export * from "./settings.ts";
export * from "./verdict.ts";
