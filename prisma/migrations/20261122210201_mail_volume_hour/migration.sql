-- CreateTable
CREATE TABLE "MailVolumeHour" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "slot" INTEGER NOT NULL,
    "received" INTEGER NOT NULL DEFAULT 0,
    "sent" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "MailVolumeHour_pkey" PRIMARY KEY ("hour","slot")
);


-- Backfill the last 31 days from the stored copies, so the overview is not
-- empty after the upgrade: a copy in Sent was sent, any other (Drafts
-- excepted) was received. Mail already deleted is not counted.
INSERT INTO "MailVolumeHour" ("hour", "slot", "received", "sent")
SELECT date_trunc('hour', m."receivedAt"), 0,
  count(*) FILTER (WHERE b."specialUse" IS DISTINCT FROM 'SENT'),
  count(*) FILTER (WHERE b."specialUse" = 'SENT')
FROM "Message" m
JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
WHERE m."receivedAt" >= now() - interval '31 days' AND b."specialUse" IS DISTINCT FROM 'DRAFTS'
GROUP BY 1;
