// RCPT TO (RFC 5321 §4.1.1.3): recipients are decided here, not after DATA,
// so a refused address costs the sender no upload and us no bounce
// (RFC 5321 §6.2 warns against accepting then bouncing: backscatter).
// Unknown recipients are counted per session: past the admin's limits the
// answers slow down, then the session is closed with 421 (address-harvest
// defense, lib/spam/client-limits.ts). With greylisting on, a known
// recipient of a new triplet is deferred (lib/spam/greylist.ts).
import { setTimeout as sleep } from "node:timers/promises";
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { resolveRecipient } from "../../lib/delivery/index.ts";
import { harvestStep, isLimitedClient } from "../../lib/spam/client-limits.ts";
import { greylistAllows } from "../../lib/spam/greylist.ts";
import { getSpamSettings } from "../../lib/spam/settings.ts";
import { CLIENT_LIMIT_REPLIES, recipientReply, replyError, TEMPORARY_FAILURE } from "./replies.ts";
import type { TransactionState } from "./transaction.ts";
import { clientIpOf } from "./describe-session.ts";

/** RFC 6647: when the admin turned greylisting on, a new triplet waits its delay. */
async function passesGreylist(session: SMTPServerSession, sender: string, recipient: string) {
  const settings = await getSpamSettings();
  const ip = clientIpOf(session);
  if (!settings.greylisting.enabled || !isLimitedClient(ip, settings)) return true;
  return greylistAllows({
    clientIp: ip,
    sender,
    recipient,
    delaySeconds: settings.greylisting.delaySeconds,
  });
}

export function createOnRcptTo(state: TransactionState, log: (line: string) => void) {
  const unknown = new WeakMap<SMTPServerSession, number>();
  const refuseUnknown = async (session: SMTPServerSession) => {
    const count = (unknown.get(session) ?? 0) + 1;
    unknown.set(session, count);
    const step = harvestStep(clientIpOf(session), count, await getSpamSettings());
    if (step.disconnect) {
      log(`smtp ${session.id}: ${count} unknown recipients, closing (address harvest)`);
      return replyError(CLIENT_LIMIT_REPLIES.harvest);
    }
    if (step.delayMs > 0) await sleep(step.delayMs);
    return replyError(recipientReply("unknown_user"));
  };
  return (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ) => {
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
    resolveRecipient(address.address, { mailFrom })
      .then(async (resolution) => {
        if (resolution.ok) {
          if (!(await passesGreylist(session, mailFrom, address.address)))
            return callback(replyError(CLIENT_LIMIT_REPLIES.greylisted));
          state.addRecipient(session.envelope, address.address, resolution);
          return callback();
        }
        if (resolution.reason === "unknown_user") return callback(await refuseUnknown(session));
        callback(replyError(recipientReply(resolution.reason)));
      })
      .catch((error: unknown) => {
        log(`smtp ${session.id}: recipient lookup failed: ${(error as Error).message}`);
        callback(replyError(TEMPORARY_FAILURE));
      });
  };
}
