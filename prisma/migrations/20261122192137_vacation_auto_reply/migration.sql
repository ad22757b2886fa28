-- CreateTable
CREATE TABLE "VacationResponder" (
    "accountId" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "subject" TEXT NOT NULL DEFAULT '',
    "body" TEXT NOT NULL DEFAULT '',
    "startDate" TEXT,
    "endDate" TEXT,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "replyIntervalDays" INTEGER NOT NULL DEFAULT 4,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VacationResponder_pkey" PRIMARY KEY ("accountId")
);

-- CreateTable
CREATE TABLE "VacationReply" (
    "accountId" UUID NOT NULL,
    "sender" TEXT NOT NULL,
    "repliedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "VacationReply_pkey" PRIMARY KEY ("accountId","sender")
);

-- CreateIndex
CREATE INDEX "VacationReply_accountId_repliedAt_idx" ON "VacationReply"("accountId", "repliedAt");

-- AddForeignKey
ALTER TABLE "VacationResponder" ADD CONSTRAINT "VacationResponder_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VacationReply" ADD CONSTRAINT "VacationReply_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

