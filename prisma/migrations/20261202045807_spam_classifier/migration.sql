-- CreateEnum
CREATE TYPE "SpamVerdict" AS ENUM ('SPAM', 'HAM');

-- CreateEnum
CREATE TYPE "SenderListKind" AS ENUM ('BLOCK', 'SAFE');

-- CreateTable
CREATE TABLE "SpamToken" (
    "accountId" UUID NOT NULL,
    "token" BIGINT NOT NULL,
    "spam" INTEGER NOT NULL DEFAULT 0,
    "ham" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SpamToken_pkey" PRIMARY KEY ("accountId","token")
);

-- CreateTable
CREATE TABLE "SpamServiceToken" (
    "token" BIGINT NOT NULL,
    "spam" INTEGER NOT NULL DEFAULT 0,
    "ham" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SpamServiceToken_pkey" PRIMARY KEY ("token")
);

-- CreateTable
CREATE TABLE "SpamTraining" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "wanted" "SpamVerdict" NOT NULL,
    "trained" "SpamVerdict",
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SpamTraining_pkey" PRIMARY KEY ("accountId","messageId")
);

-- CreateTable
CREATE TABLE "SpamTrainingQueue" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "queuedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SpamTrainingQueue_pkey" PRIMARY KEY ("accountId","messageId")
);

-- CreateTable
CREATE TABLE "SenderListEntry" (
    "accountId" UUID NOT NULL,
    "sender" TEXT NOT NULL,
    "kind" "SenderListKind" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SenderListEntry_pkey" PRIMARY KEY ("accountId","sender")
);

-- AddForeignKey
ALTER TABLE "SpamToken" ADD CONSTRAINT "SpamToken_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SpamTraining" ADD CONSTRAINT "SpamTraining_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SenderListEntry" ADD CONSTRAINT "SenderListEntry_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

