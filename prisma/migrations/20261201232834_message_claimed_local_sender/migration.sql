-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "claimedLocalSender" TEXT;

