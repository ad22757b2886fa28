-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "spamVerdict" JSONB;

