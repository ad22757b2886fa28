-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "btree_gin";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateEnum
CREATE TYPE "SpecialUse" AS ENUM ('INBOX', 'DRAFTS', 'SENT', 'ARCHIVE', 'JUNK', 'TRASH');

-- CreateEnum
CREATE TYPE "AliasKind" AS ENUM ('ALIAS', 'LIST');

-- CreateEnum
CREATE TYPE "OutboundStatus" AS ENUM ('QUEUED', 'DEFERRED', 'DELIVERED', 'BOUNCED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Domain" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "hosted" BOOLEAN NOT NULL DEFAULT true,
    "signupEnabled" BOOLEAN NOT NULL DEFAULT true,
    "catchAllTarget" TEXT,
    "dkimSelector" TEXT,
    "dkimPrivateKey" TEXT,
    "dkimPublicKey" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Domain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "localPart" TEXT NOT NULL,
    "domainId" UUID NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "quotaBytes" BIGINT NOT NULL,
    "usedBytes" BIGINT NOT NULL DEFAULT 0,
    "sessionVersion" INTEGER NOT NULL DEFAULT 0,
    "signature" TEXT NOT NULL DEFAULT '',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMPTZ(3),

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alias" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "domainId" UUID NOT NULL,
    "kind" "AliasKind" NOT NULL DEFAULT 'ALIAS',
    "ownerAccountId" UUID,
    "membersOnly" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Alias_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AliasTarget" (
    "aliasId" UUID NOT NULL,
    "address" TEXT NOT NULL,

    CONSTRAINT "AliasTarget_pkey" PRIMARY KEY ("aliasId","address")
);

-- CreateTable
CREATE TABLE "Mailbox" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "specialUse" "SpecialUse",
    "subscribed" BOOLEAN NOT NULL DEFAULT true,
    "uidValidity" INTEGER NOT NULL,
    "uidNext" INTEGER NOT NULL DEFAULT 1,
    "highestModseq" BIGINT NOT NULL DEFAULT 1,
    "messageCount" INTEGER NOT NULL DEFAULT 0,
    "unreadCount" INTEGER NOT NULL DEFAULT 0,
    "totalBytes" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Mailbox_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "MessageSource" (
    "sha256" TEXT NOT NULL,
    "raw" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "textBody" TEXT NOT NULL DEFAULT '',
    "htmlBody" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MessageSource_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "Attachment" (
    "sourceSha256" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "filename" TEXT,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "contentId" TEXT,
    "inline" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Attachment_pkey" PRIMARY KEY ("sourceSha256","index")
);

-- CreateTable
CREATE TABLE "Message" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "uid" INTEGER NOT NULL,
    "modseq" BIGINT NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "threadId" UUID NOT NULL,
    "seen" BOOLEAN NOT NULL DEFAULT false,
    "flagged" BOOLEAN NOT NULL DEFAULT false,
    "answered" BOOLEAN NOT NULL DEFAULT false,
    "draft" BOOLEAN NOT NULL DEFAULT false,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "keywords" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "size" INTEGER NOT NULL,
    "fromAddress" TEXT NOT NULL DEFAULT '',
    "fromName" TEXT NOT NULL DEFAULT '',
    "toList" JSONB NOT NULL DEFAULT '[]',
    "ccList" JSONB NOT NULL DEFAULT '[]',
    "subject" TEXT NOT NULL DEFAULT '',
    "messageIdHeader" TEXT,
    "inReplyTo" TEXT,
    "references" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "snippet" TEXT NOT NULL DEFAULT '',
    "hasAttachments" BOOLEAN NOT NULL DEFAULT false,
    "searchVector" tsvector,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "Thread" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "normalizedSubject" TEXT NOT NULL,
    "lastMessageAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Thread_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "saved" BOOLEAN NOT NULL DEFAULT false,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "lastUsedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "OutboundRecipient" (
    "id" UUID NOT NULL,
    "accountId" UUID,
    "submissionId" UUID NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "mailFrom" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "status" "OutboundStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMPTZ(3),
    "lastReply" TEXT,
    "lastAttemptAt" TIMESTAMPTZ(3),
    "delayWarnedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "OutboundRecipient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL,
    "windowStart" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key","windowStart")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" UUID NOT NULL,
    "actorId" UUID,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "details" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Domain_name_key" ON "Domain"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Account_address_key" ON "Account"("address");

-- CreateIndex
CREATE INDEX "Account_domainId_localPart_idx" ON "Account"("domainId", "localPart");

-- CreateIndex
CREATE INDEX "Account_createdAt_idx" ON "Account"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alias_address_key" ON "Alias"("address");

-- CreateIndex
CREATE INDEX "Alias_ownerAccountId_idx" ON "Alias"("ownerAccountId");

-- CreateIndex
CREATE UNIQUE INDEX "Mailbox_accountId_name_key" ON "Mailbox"("accountId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Mailbox_accountId_specialUse_key" ON "Mailbox"("accountId", "specialUse");

-- CreateIndex
CREATE INDEX "Message_accountId_mailboxId_receivedAt_id_idx" ON "Message"("accountId", "mailboxId", "receivedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Message_accountId_threadId_idx" ON "Message"("accountId", "threadId");

-- CreateIndex
CREATE INDEX "Message_accountId_messageIdHeader_idx" ON "Message"("accountId", "messageIdHeader");

-- CreateIndex
CREATE INDEX "Message_accountId_sourceSha256_idx" ON "Message"("accountId", "sourceSha256");

-- CreateIndex
CREATE INDEX "Message_accountId_searchVector_idx" ON "Message" USING GIN ("accountId" uuid_ops, "searchVector" tsvector_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Message_accountId_mailboxId_uid_key" ON "Message"("accountId", "mailboxId", "uid");

-- CreateIndex
CREATE INDEX "Thread_accountId_normalizedSubject_lastMessageAt_idx" ON "Thread"("accountId", "normalizedSubject", "lastMessageAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Contact_accountId_address_key" ON "Contact"("accountId", "address");

-- CreateIndex
CREATE INDEX "OutboundRecipient_status_nextAttemptAt_idx" ON "OutboundRecipient"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "OutboundRecipient_accountId_submissionId_idx" ON "OutboundRecipient"("accountId", "submissionId");

-- CreateIndex
CREATE INDEX "OutboundRecipient_domain_status_idx" ON "OutboundRecipient"("domain", "status");

-- CreateIndex
CREATE INDEX "OutboundRecipient_createdAt_idx" ON "OutboundRecipient"("createdAt");

-- CreateIndex
CREATE INDEX "RateLimit_expiresAt_idx" ON "RateLimit"("expiresAt");

-- CreateIndex
CREATE INDEX "AuditLog_createdAt_idx" ON "AuditLog"("createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_action_createdAt_idx" ON "AuditLog"("action", "createdAt");

-- AddForeignKey
ALTER TABLE "Account" ADD CONSTRAINT "Account_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alias" ADD CONSTRAINT "Alias_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alias" ADD CONSTRAINT "Alias_ownerAccountId_fkey" FOREIGN KEY ("ownerAccountId") REFERENCES "Account"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AliasTarget" ADD CONSTRAINT "AliasTarget_aliasId_fkey" FOREIGN KEY ("aliasId") REFERENCES "Alias"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Mailbox" ADD CONSTRAINT "Mailbox_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_sourceSha256_fkey" FOREIGN KEY ("sourceSha256") REFERENCES "MessageSource"("sha256") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_accountId_mailboxId_fkey" FOREIGN KEY ("accountId", "mailboxId") REFERENCES "Mailbox"("accountId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_sourceSha256_fkey" FOREIGN KEY ("sourceSha256") REFERENCES "MessageSource"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OutboundRecipient" ADD CONSTRAINT "OutboundRecipient_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OutboundRecipient" ADD CONSTRAINT "OutboundRecipient_sourceSha256_fkey" FOREIGN KEY ("sourceSha256") REFERENCES "MessageSource"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

