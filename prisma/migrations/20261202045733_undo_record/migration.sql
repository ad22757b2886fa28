-- CreateTable
CREATE TABLE "UndoRecord" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "entries" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "UndoRecord_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "UndoRecord_accountId_expiresAt_idx" ON "UndoRecord"("accountId", "expiresAt");

-- AddForeignKey
ALTER TABLE "UndoRecord" ADD CONSTRAINT "UndoRecord_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

