// lib/search: the search box's query language and its SQL. Owns parsing
// (parse-query.ts, pure), turning conditions into a WHERE clause over
// "Message" (build-search-sql.ts, pure) and running a page of results
// (search-messages.ts). Does not own the search vector: lib/store's indexer
// fills it after a message is stored (search-vector.ts defines it). IMAP
// SEARCH will reuse the conditions later.
export * from "./parse-query.ts";
export * from "./build-search-sql.ts";
export * from "./search-messages.ts";
