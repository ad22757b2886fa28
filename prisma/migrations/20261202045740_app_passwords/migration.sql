-- CreateTable
CREATE TABLE "AppPassword" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "lookup" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "lastUsedIp" TEXT,
    "lastUsedProtocol" TEXT,

    CONSTRAINT "AppPassword_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "AppPassword_accountId_lookup_idx" ON "AppPassword"("accountId", "lookup");

-- AddForeignKey
ALTER TABLE "AppPassword" ADD CONSTRAINT "AppPassword_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

