-- CreateTable
CREATE TABLE "BulkJob" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "change" JSONB NOT NULL,
    "folderId" UUID,
    "query" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "cursor" TEXT,
    "status" TEXT NOT NULL DEFAULT 'running',
    "error" TEXT,
    "leaseOwner" UUID,
    "leaseUntil" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BulkJob_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "BulkJob_accountId_createdAt_idx" ON "BulkJob"("accountId", "createdAt");

-- AddForeignKey
ALTER TABLE "BulkJob" ADD CONSTRAINT "BulkJob_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

