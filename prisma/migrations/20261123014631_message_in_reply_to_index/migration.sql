-- CreateIndex
CREATE INDEX "Message_accountId_inReplyTo_idx" ON "Message"("accountId", "inReplyTo");

