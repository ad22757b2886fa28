-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "lastUidValidity" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "recentUid" INTEGER NOT NULL DEFAULT 1;



-- Messages stored before this migration are not \Recent.
UPDATE "Mailbox" SET "recentUid" = "uidNext";

-- ENVELOPE no longer lists a comment inside a group as a member: computed again on next FETCH.
UPDATE "MessageSource" SET "imapEnvelope" = NULL WHERE "imapEnvelope" IS NOT NULL;
