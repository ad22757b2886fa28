// lib/dns: name lookups for mail, behind one injectable interface. The
// inbound path (SPF, DKIM, DMARC via mailauth) and the outbound relay (MX
// routing) take a DnsResolver instead of calling node:dns, so tests and
// machines without DNS run them against a table. Owns no policy: what a
// failed lookup means (temperror, retry later) is the caller's call.
export * from "./resolver.ts";
