-- CreateTable
CREATE TABLE "HeldMessage" (
    "id" UUID NOT NULL,
    "recipients" TEXT[],
    "mailFrom" TEXT NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "HeldMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HeldMessage_receivedAt_idx" ON "HeldMessage"("receivedAt");

-- CreateIndex
CREATE INDEX "Account_role_idx" ON "Account"("role");

-- AddForeignKey
ALTER TABLE "HeldMessage" ADD CONSTRAINT "HeldMessage_sourceSha256_fkey" FOREIGN KEY ("sourceSha256") REFERENCES "MessageSource"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

