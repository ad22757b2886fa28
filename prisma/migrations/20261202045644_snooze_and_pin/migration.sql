-- AlterEnum
ALTER TYPE "SpecialUse" ADD VALUE 'SNOOZED';

-- CreateTable
CREATE TABLE "SnoozedMessage" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SnoozedMessage_pkey" PRIMARY KEY ("accountId","messageId")
);

-- CreateTable
CREATE TABLE "PinnedMessage" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "pinnedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PinnedMessage_pkey" PRIMARY KEY ("accountId","messageId")
);

-- CreateIndex
CREATE INDEX "SnoozedMessage_accountId_until_idx" ON "SnoozedMessage"("accountId", "until");

-- AddForeignKey
ALTER TABLE "SnoozedMessage" ADD CONSTRAINT "SnoozedMessage_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SnoozedMessage" ADD CONSTRAINT "SnoozedMessage_accountId_messageId_fkey" FOREIGN KEY ("accountId", "messageId") REFERENCES "Message"("accountId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PinnedMessage" ADD CONSTRAINT "PinnedMessage_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PinnedMessage" ADD CONSTRAINT "PinnedMessage_accountId_messageId_fkey" FOREIGN KEY ("accountId", "messageId") REFERENCES "Message"("accountId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

