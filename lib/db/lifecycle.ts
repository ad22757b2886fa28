// Process lifecycle for entry points that must not touch lib/db.ts itself
// (mail-gateway/): closing the pool at shutdown, after the last query.
export { disconnectDb as closeDatabase } from "../db.ts";
