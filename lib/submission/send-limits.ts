// Per-account sending limits, counted in Postgres so every web and gateway
// instance enforces the same budget: messages per hour and recipients per
// day (Gmail's consumer limits are 500 recipients a day; ours are the admin's
// service settings, defaulting to the environment, see .env.example).
import { getServiceSettings } from "../accounts/settings.ts";
import { UserError } from "../errors.ts";
import { addToRateLimit, hitRateLimit, peekRateLimit } from "../rate-limit.ts";

const HOUR = 3600;
const DAY = 24 * 3600;

/**
 * Counts one message with `recipientCount` recipients against the account's
 * limits; throws UserError("throttled") and counts nothing when it would go
 * over.
 */
export async function chargeSendLimits(accountId: string, recipientCount: number): Promise<void> {
  const limits = (await getServiceSettings()).sendLimits;
  const messagesKey = `send:msgs:${accountId}`;
  const recipientsKey = `send:rcpts:${accountId}`;
  const [messages, recipients] = await Promise.all([
    peekRateLimit(messagesKey, HOUR),
    peekRateLimit(recipientsKey, DAY),
  ]);
  if (messages + 1 > limits.messagesPerHour) {
    throw new UserError(
      "throttled",
      `You can send ${limits.messagesPerHour} messages an hour. Try again later.`,
    );
  }
  if (recipients + recipientCount > limits.recipientsPerDay) {
    throw new UserError(
      "throttled",
      `You can send to ${limits.recipientsPerDay} recipients a day; this message would go over. Try again tomorrow.`,
    );
  }
  await Promise.all([
    hitRateLimit(messagesKey, HOUR),
    addToRateLimit(recipientsKey, DAY, recipientCount),
  ]);
}
