-- CreateTable
CREATE TABLE "DraftComposition" (
    "accountId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "draftId" UUID,
    "sentAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DraftComposition_pkey" PRIMARY KEY ("accountId","id")
);

-- CreateIndex
CREATE INDEX "DraftComposition_accountId_updatedAt_idx" ON "DraftComposition"("accountId", "updatedAt");

-- AddForeignKey
ALTER TABLE "DraftComposition" ADD CONSTRAINT "DraftComposition_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

