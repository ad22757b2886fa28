-- AlterTable
ALTER TABLE "MessageSource" ADD COLUMN     "imapBodyStructure" BYTEA,
ADD COLUMN     "imapEnvelope" BYTEA;

