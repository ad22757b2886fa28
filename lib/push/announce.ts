// Web Push for new mail: after a delivery commits, each stored copy in a
// folder its account announces (notification-settings.ts) is pushed to the
// account's subscribed browsers, so mail is announced with the tab closed.
// The message is encrypted for the browser (RFC 8291, aes128gcm) and the
// request signed with the service's VAPID key (RFC 8292), both by
// `web-push`; the POST to the push service (RFC 8030 §5) goes through
// lib/http/safe-post.ts, since its URL came from a browser. The instance
// that stored the mail pushes it: nothing waits in memory for another.
import webpush from "web-push";
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { postSafely } from "../http/safe-post.ts";
import type { StoredCopy } from "../store/deliver.ts";
import { announces, getNotificationSettings } from "./notification-settings.ts";
import { getVapidKeys } from "./vapid.ts";

/** How long a push service keeps an undelivered announcement (RFC 8030 §5.2). */
const PUSH_TTL_SECONDS = 24 * 60 * 60;

export type NewMailPush = { title: string; body: string; url: string; tag: string };

const pending = new Set<Promise<unknown>>();

/** Starts the pushes a delivery calls for; never delays or fails it (failures are logged). */
export function announceNewMail(copies: Pick<StoredCopy, "accountId" | "messageId">[]): void {
  if (copies.length === 0) return;
  const work = pushNewMail(copies).catch((error: unknown) =>
    console.error(`web push failed: ${(error as Error).message}`),
  );
  pending.add(work);
  void work.finally(() => pending.delete(work));
}

/** Resolves once the pushes started so far are done (tests, shutdown). */
export async function pushesSettled(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}

/** Pushes the copies' announcements; returns how many push requests were accepted. */
export async function pushNewMail(
  copies: Pick<StoredCopy, "accountId" | "messageId">[],
): Promise<number> {
  const accountIds = [...new Set(copies.map((c) => c.accountId))];
  const subscriptions = await db.pushSubscription.findMany({
    where: { accountId: { in: accountIds } },
  });
  if (subscriptions.length === 0) return 0;
  const messages = await db.message.findMany({
    where: {
      accountId: { in: [...new Set(subscriptions.map((s) => s.accountId))] },
      id: { in: copies.map((c) => c.messageId) },
    },
    select: {
      accountId: true,
      id: true,
      fromName: true,
      fromAddress: true,
      subject: true,
      mailbox: { select: { id: true, specialUse: true } },
    },
  });
  let accepted = 0;
  for (const accountId of new Set(messages.map((m) => m.accountId))) {
    const settings = await getNotificationSettings(accountId);
    for (const m of messages.filter((x) => x.accountId === accountId)) {
      if (!announces(settings, m.mailbox)) continue;
      const push: NewMailPush = {
        title: (m.fromName || m.fromAddress || "New mail").slice(0, 100),
        body: (m.subject || "(no subject)").slice(0, 200),
        url: `/mail?folder=${m.mailbox.id}&m=${m.id}`,
        tag: m.id,
      };
      for (const s of subscriptions.filter((x) => x.accountId === accountId)) {
        if (await sendPush(s, push)) accepted++;
      }
    }
  }
  return accepted;
}

async function sendPush(
  subscription: { accountId: string; id: string; endpoint: string; p256dh: string; auth: string },
  push: NewMailPush,
): Promise<boolean> {
  const keys = await getVapidKeys();
  const details = webpush.generateRequestDetails(
    {
      endpoint: subscription.endpoint,
      keys: { p256dh: subscription.p256dh, auth: subscription.auth },
    },
    JSON.stringify(push),
    {
      vapidDetails: {
        // RFC 8292 §2.1: a contact for the push service's operator.
        subject: `mailto:postmaster@${loadConfig().mailDomain}`,
        publicKey: keys.publicKey,
        privateKey: keys.privateKey,
      },
      TTL: PUSH_TTL_SECONDS,
      contentEncoding: "aes128gcm",
    },
  );
  const status = await postSafely(details.endpoint, {
    headers: details.headers as Record<string, string>,
    body: details.body,
  });
  // RFC 8030 §7.3: 404 and 410 mean the subscription is gone for good.
  if (status === 404 || status === 410) {
    await db.pushSubscription.deleteMany({
      where: { accountId: subscription.accountId, id: subscription.id },
    });
  }
  return status >= 200 && status < 300;
}
