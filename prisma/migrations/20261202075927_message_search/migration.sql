-- Search vectors move out of "Message" into a table of their own: filling
-- one is then an INSERT, not a non-HOT UPDATE of Message (which added an
-- entry to every Message index and wrote the row twice per delivery).

-- CreateTable
CREATE TABLE "MessageSearch" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "vector" tsvector NOT NULL,

    CONSTRAINT "MessageSearch_pkey" PRIMARY KEY ("accountId","messageId")
);

-- The vectors already filled move over (copies without one stay waiting in
-- UnindexedMessage, or are searched with the vector computed as before).
INSERT INTO "MessageSearch" ("accountId", "messageId", "vector")
SELECT "accountId", "id", "searchVector" FROM "Message" WHERE "searchVector" IS NOT NULL;

-- DropIndex
DROP INDEX "Message_accountId_searchVector_idx";

-- AlterTable
ALTER TABLE "Message" DROP COLUMN "searchVector";

-- CreateIndex
CREATE INDEX "MessageSearch_accountId_vector_idx" ON "MessageSearch" USING GIN ("accountId" uuid_ops, "vector" tsvector_ops);

-- AddForeignKey
ALTER TABLE "MessageSearch" ADD CONSTRAINT "MessageSearch_accountId_messageId_fkey" FOREIGN KEY ("accountId", "messageId") REFERENCES "Message"("accountId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
