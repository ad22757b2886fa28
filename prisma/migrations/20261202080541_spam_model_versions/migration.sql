-- AlterTable
ALTER TABLE "SpamToken" ADD COLUMN     "changed" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "generation" BIGINT;

-- AlterTable
ALTER TABLE "SpamServiceToken" ADD COLUMN     "changed" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "generation" BIGINT;

-- CreateIndex
CREATE INDEX "SpamToken_accountId_changed_idx" ON "SpamToken"("accountId", "changed");

-- CreateIndex
CREATE INDEX "SpamServiceToken_changed_idx" ON "SpamServiceToken"("changed");

