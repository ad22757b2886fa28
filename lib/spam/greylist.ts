// Greylisting (RFC 6647): the first delivery attempt of an unknown (client
// network, envelope sender, recipient) triplet is deferred with a 4xx; a
// real MTA retries (RFC 5321 §4.5.4.1) and, once the delay has passed, the
// triplet is let through for good. Much bulk software never retries.
// Off by default (it delays all new correspondents' first mail). Triplets
// live in Postgres (GreylistTriplet), so every gateway instance agrees.
import { isIPv4 } from "node:net";
import { query, sql } from "../db/sql.ts";
import { clientNetwork } from "../auth/client-network.ts";

/** Triplets unseen for this long are forgotten (RFC 6647 §4.5 suggests at least a month). */
const GREYLIST_KEEP_DAYS = 35;

/**
 * RFC 6647 §4.2: a sender's outbound pool often spans a /24, and retries
 * may come from another address in it; IPv6 by /64 (lib/auth/client-network).
 */
function greylistNetwork(ip: string): string {
  const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  if (isIPv4(plain)) return `${plain.split(".").slice(0, 3).join(".")}.0/24`;
  return clientNetwork(plain);
}

/**
 * Records the attempt and says whether it may pass: true once a retry came
 * at least `delaySeconds` after the first attempt (and from then on).
 */
export async function greylistAllows(input: {
  clientIp: string;
  /** MAIL FROM; "" for the null sender. */
  sender: string;
  recipient: string;
  delaySeconds: number;
  now?: Date;
}): Promise<boolean> {
  const now = input.now ?? new Date();
  const ripe = new Date(now.getTime() - input.delaySeconds * 1000);
  const rows = await query<{ passed: boolean }>(
    sql`INSERT INTO "GreylistTriplet" ("network", "sender", "recipient", "firstSeenAt", "lastSeenAt")
      VALUES (${greylistNetwork(input.clientIp)}, ${input.sender.toLowerCase()},
        ${input.recipient.toLowerCase()}, ${now}::timestamptz, ${now}::timestamptz)
      ON CONFLICT ("network", "sender", "recipient") DO UPDATE SET
        "lastSeenAt" = EXCLUDED."lastSeenAt",
        "passedAt" = COALESCE("GreylistTriplet"."passedAt",
          CASE WHEN "GreylistTriplet"."firstSeenAt" <= ${ripe}::timestamptz THEN EXCLUDED."lastSeenAt" END)
      RETURNING "passedAt" IS NOT NULL AS passed`,
    "greylist-attempt",
  );
  // Old triplets are garbage; clearing them now and then keeps the table small.
  if (Math.random() < 0.01) {
    const cutoff = new Date(now.getTime() - GREYLIST_KEEP_DAYS * 86_400_000);
    await query(
      sql`DELETE FROM "GreylistTriplet" WHERE "lastSeenAt" < ${cutoff}::timestamptz`,
      "greylist-expire",
    );
  }
  return rows[0]?.passed ?? false;
}
