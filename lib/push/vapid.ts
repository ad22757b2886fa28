// The service's VAPID key pair (RFC 8292), which identifies our server to
// browsers' push services. Made once, by whichever instance first needs it,
// and kept in the Setting table, so every web and gateway instance signs
// with the same key (a subscription made through one instance is good for
// pushes from any other). INSERT … ON CONFLICT DO NOTHING then a read:
// concurrent first uses agree on one key.
import webpush from "web-push";
import { db } from "../db.ts";

const SETTING_KEY = "webPush.vapidKeys";

export type VapidKeys = { publicKey: string; privateKey: string };

let cached: VapidKeys | null = null;

function isKeys(value: unknown): value is VapidKeys {
  const v = value as Partial<VapidKeys> | null;
  return typeof v?.publicKey === "string" && typeof v.privateKey === "string";
}

export async function getVapidKeys(): Promise<VapidKeys> {
  if (cached) return cached;
  const read = async () =>
    (await db.setting.findUnique({ where: { key: SETTING_KEY } }))?.value ?? null;
  let value = await read();
  if (!isKeys(value)) {
    const made = webpush.generateVAPIDKeys();
    await db.$executeRaw`
      INSERT INTO "Setting" ("key", "value", "updatedAt")
      VALUES (${SETTING_KEY}, ${JSON.stringify(made)}::jsonb, now())
      ON CONFLICT ("key") DO NOTHING`;
    value = await read();
  }
  if (!isKeys(value)) throw new Error("web push: the VAPID keys could not be stored");
  cached = { publicKey: value.publicKey, privateKey: value.privateKey };
  return cached;
}
