-- CreateTable
CREATE TABLE "OwedReport" (
    "id" UUID NOT NULL,
    "submissionId" UUID NOT NULL,
    "accountId" UUID,
    "mailFrom" TEXT NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "arrivalDate" TIMESTAMPTZ(3) NOT NULL,
    "recipients" JSONB NOT NULL,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OwedReport_pkey" PRIMARY KEY ("id")
);

