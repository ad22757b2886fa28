// Row ids made in code, for rows inserted with raw SQL (Prisma's
// @default(uuid(7)) only applies to rows Prisma itself creates).
import { randomBytes } from "node:crypto";

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then
 * random bits. Ids sort by creation time, so new rows land at the right end
 * of their b-tree indexes instead of scattering like v4 ids.
 */
export function newUuidV7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
