-- CreateTable
CREATE TABLE "GreylistTriplet" (
    "network" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "passedAt" TIMESTAMPTZ(3),
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "GreylistTriplet_pkey" PRIMARY KEY ("network","sender","recipient")
);

-- CreateIndex
CREATE INDEX "GreylistTriplet_lastSeenAt_idx" ON "GreylistTriplet"("lastSeenAt");

