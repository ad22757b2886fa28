-- CreateTable
CREATE TABLE "UnindexedMessage" (
    "accountId" UUID NOT NULL,
    "messageId" UUID NOT NULL,

    CONSTRAINT "UnindexedMessage_pkey" PRIMARY KEY ("accountId","messageId")
);

