// A new MX connection (RFC 5321 §3.1): refused with 421 when its IP already
// holds as many as the admin allows (lib/spam/client-limits.ts); counted
// down again when it closes.
import type { SMTPServerSession } from "smtp-server";
import { ConnectionCounter, isLimitedClient } from "../../lib/spam/client-limits.ts";
import { getSpamSettings } from "../../lib/spam/settings.ts";
import { clientIpOf } from "./describe-session.ts";
import { CLIENT_LIMIT_REPLIES, replyError } from "./replies.ts";

export function createConnectionLimit(log: (line: string) => void) {
  const counter = new ConnectionCounter();
  const counted = new WeakSet<SMTPServerSession>();
  return {
    onConnect(session: SMTPServerSession, callback: (error?: Error | null) => void) {
      getSpamSettings().then(
        (settings) => {
          const ip = clientIpOf(session);
          if (!isLimitedClient(ip, settings)) return callback();
          if (!counter.tryOpen(ip, settings.maxConnectionsPerIp))
            return callback(replyError(CLIENT_LIMIT_REPLIES.tooManyConnections));
          counted.add(session);
          callback();
        },
        (error: unknown) => {
          // Without the settings (the database is away) the connection is let in:
          // DATA will answer 4xx itself if it cannot deliver.
          log(`smtp ${session.id}: reading spam settings failed: ${(error as Error).message}`);
          callback();
        },
      );
    },
    onClose(session: SMTPServerSession) {
      if (counted.delete(session)) counter.close(clientIpOf(session));
    },
  };
}
