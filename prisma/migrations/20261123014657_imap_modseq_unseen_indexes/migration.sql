-- CreateIndex
CREATE INDEX "Message_accountId_mailboxId_modseq_idx" ON "Message"("accountId", "mailboxId", "modseq");

-- CreateIndex
CREATE INDEX "Message_accountId_mailboxId_seen_uid_idx" ON "Message"("accountId", "mailboxId", "seen", "uid");

