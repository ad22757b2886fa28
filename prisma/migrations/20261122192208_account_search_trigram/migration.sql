-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateIndex
CREATE INDEX "Account_address_trgm_idx" ON "Account" USING GIN ("address" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Account_displayName_trgm_idx" ON "Account" USING GIN ("displayName" gin_trgm_ops);

