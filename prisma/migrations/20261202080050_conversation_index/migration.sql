-- CreateIndex
CREATE INDEX "Message_accountId_mailboxId_threadId_receivedAt_id_idx" ON "Message"("accountId", "mailboxId", "threadId", "receivedAt" DESC, "id" DESC);

