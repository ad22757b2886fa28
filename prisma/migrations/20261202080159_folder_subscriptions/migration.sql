-- CreateTable
CREATE TABLE "FolderSubscription" (
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FolderSubscription_pkey" PRIMARY KEY ("accountId","name")
);

-- AddForeignKey
ALTER TABLE "FolderSubscription" ADD CONSTRAINT "FolderSubscription_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The subscriptions kept on the folders so far move to the new table.
INSERT INTO "FolderSubscription" ("accountId", "name")
SELECT "accountId", "name" FROM "Mailbox" WHERE "subscribed";

-- AlterTable
ALTER TABLE "Mailbox" DROP COLUMN "subscribed";
