// Web Push subscriptions (RFC 8030 §5: the browser's push service gives
// an endpoint; RFC 8291: the p256dh key and auth secret encrypt what we
// send), kept per account so any instance can push to them.
import { z } from "zod";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";

/** Browsers (devices) one account may have subscribed. */
export const MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT = 20;

const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+=*$/)
  .max(200);

/** A browser's PushSubscription.toJSON(). */
export const pushSubscriptionSchema = z.object({
  endpoint: z
    .string()
    .max(2048)
    .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), "not a push endpoint"),
  keys: z.object({ p256dh: base64url, auth: base64url }),
});

export type PushSubscriptionInput = z.infer<typeof pushSubscriptionSchema>;

/** Saves the browser's subscription (again: it may have changed keys). */
export async function savePushSubscription(accountId: string, input: unknown): Promise<void> {
  const parsed = pushSubscriptionSchema.safeParse(input);
  if (!parsed.success) throw new UserError("invalid_input", "That is not a push subscription.");
  const { endpoint, keys } = parsed.data;
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO "PushSubscription" ("accountId", "id", "endpoint", "p256dh", "auth")
      VALUES (${accountId}::uuid, gen_random_uuid(), ${endpoint}, ${keys.p256dh}, ${keys.auth})
      ON CONFLICT ("accountId", "endpoint") DO UPDATE SET "p256dh" = EXCLUDED."p256dh", "auth" = EXCLUDED."auth"`;
    // The oldest browsers give way.
    await tx.$executeRaw`
      DELETE FROM "PushSubscription" WHERE "accountId" = ${accountId}::uuid AND "id" IN (
        SELECT "id" FROM "PushSubscription" WHERE "accountId" = ${accountId}::uuid
        ORDER BY "createdAt" DESC OFFSET ${MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT})`;
  });
}

export async function deletePushSubscription(accountId: string, endpoint: string): Promise<void> {
  await db.pushSubscription.deleteMany({ where: { accountId, endpoint } });
}
