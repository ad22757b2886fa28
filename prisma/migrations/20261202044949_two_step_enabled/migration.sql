-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "twoStepEnabledAt" TIMESTAMPTZ(3);

