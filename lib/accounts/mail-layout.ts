// The shape of the webmail's list layout preference, shared by the server
// (user-settings.ts reads and writes it) and the page (no I/O here).
import { z } from "zod";

export const mailLayoutSchema = z.object({
  readingPane: z.enum(["right", "bottom", "off"]),
  density: z.enum(["comfortable", "compact"]),
  // One list row per thread (Outlook.com's "Show as conversations"), on unless turned off.
  conversations: z.boolean().default(true),
});

export type MailLayout = z.infer<typeof mailLayoutSchema>;

export const DEFAULT_MAIL_LAYOUT: MailLayout = {
  readingPane: "right",
  density: "comfortable",
  conversations: true,
};

/** A stored value as a layout; anything unreadable is the default. */
export function readMailLayout(stored: unknown): MailLayout {
  const result = mailLayoutSchema.safeParse(stored);
  return result.success ? result.data : DEFAULT_MAIL_LAYOUT;
}
