-- CreateEnum
CREATE TYPE "SignInOutcome" AS ENUM ('SUCCESS', 'FAILURE', 'THROTTLED');

-- CreateTable
CREATE TABLE "LoginThrottle" (
    "address" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "failures" DOUBLE PRECISION NOT NULL,
    "lastAttemptAt" TIMESTAMPTZ(3) NOT NULL,
    "previousAttemptAt" TIMESTAMPTZ(3),
    "lockedUntil" TIMESTAMPTZ(3),
    "protocol" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LoginThrottle_pkey" PRIMARY KEY ("address","network")
);

-- CreateTable
CREATE TABLE "KnownLoginNetwork" (
    "accountId" UUID NOT NULL,
    "network" TEXT NOT NULL,
    "lastSuccessAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "KnownLoginNetwork_pkey" PRIMARY KEY ("accountId","network")
);

-- CreateTable
CREATE TABLE "SignInEvent" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "outcome" "SignInOutcome" NOT NULL,
    "protocol" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "userAgent" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignInEvent_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateTable
CREATE TABLE "WebSession" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ip" TEXT NOT NULL,
    "lastIp" TEXT NOT NULL,
    "userAgent" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "WebSession_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "LoginThrottle_expiresAt_idx" ON "LoginThrottle"("expiresAt");

-- CreateIndex
CREATE INDEX "LoginThrottle_lastAttemptAt_idx" ON "LoginThrottle"("lastAttemptAt");

-- CreateIndex
CREATE INDEX "KnownLoginNetwork_accountId_lastSuccessAt_idx" ON "KnownLoginNetwork"("accountId", "lastSuccessAt");

-- CreateIndex
CREATE INDEX "SignInEvent_accountId_lastAt_idx" ON "SignInEvent"("accountId", "lastAt");

-- CreateIndex
CREATE INDEX "WebSession_accountId_lastSeenAt_idx" ON "WebSession"("accountId", "lastSeenAt");

-- AddForeignKey
ALTER TABLE "KnownLoginNetwork" ADD CONSTRAINT "KnownLoginNetwork_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SignInEvent" ADD CONSTRAINT "SignInEvent_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebSession" ADD CONSTRAINT "WebSession_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

