-- CreateEnum
CREATE TYPE "PendingSubmissionStatus" AS ENUM ('PENDING', 'FAILED');

-- CreateTable
CREATE TABLE "ComposeUpload" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "filename" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ComposeUpload_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "PendingSubmission" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "raw" BYTEA NOT NULL,
    "recipients" TEXT[],
    "messageIdHeader" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "sendAt" TIMESTAMPTZ(3) NOT NULL,
    "scheduled" BOOLEAN NOT NULL DEFAULT false,
    "status" "PendingSubmissionStatus" NOT NULL DEFAULT 'PENDING',
    "lastError" TEXT,
    "clientIp" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PendingSubmission_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "ComposeUpload_accountId_createdAt_idx" ON "ComposeUpload"("accountId", "createdAt");

-- CreateIndex
CREATE INDEX "PendingSubmission_accountId_sendAt_idx" ON "PendingSubmission"("accountId", "sendAt");

-- AddForeignKey
ALTER TABLE "ComposeUpload" ADD CONSTRAINT "ComposeUpload_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PendingSubmission" ADD CONSTRAINT "PendingSubmission_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

