-- CreateTable
CREATE TABLE "TwoStepRequirement" (
    "scope" TEXT NOT NULL,
    "enforcedFrom" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TwoStepRequirement_pkey" PRIMARY KEY ("scope")
);

