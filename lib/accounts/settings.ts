// Service-wide settings an admin can change at run time, stored in the
// Setting table so every instance sees the same values.
import { z } from "zod";
import { db } from "../db.ts";

const settingsSchema = z.object({
  // open: anyone may sign up on signup-enabled domains; closed: only admins
  // create accounts. (invite-only arrives with the admin dashboard.)
  signupMode: z.enum(["open", "closed"]).default("open"),
});

export type ServiceSettings = z.infer<typeof settingsSchema>;

export async function getServiceSettings(): Promise<ServiceSettings> {
  const rows = await db.setting.findMany();
  const raw = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  const parsed = settingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : settingsSchema.parse({});
}

export async function setServiceSetting<K extends keyof ServiceSettings>(
  key: K,
  value: ServiceSettings[K],
): Promise<void> {
  const checked = settingsSchema.shape[key].parse(value);
  await db.setting.upsert({
    where: { key },
    create: { key, value: checked },
    update: { value: checked },
  });
}
