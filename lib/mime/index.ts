// lib/mime: pure functions over message bytes. Owns parsing (mailparser ->
// ParsedMessage), subject normalisation for threading, and header-block
// surgery on raw bytes (finding the header end, counting fields, formatting
// trace headers). Owns no I/O: callers hand in buffers or streams they opened.
// Composing outgoing messages and HTML sanitising will live here too.
export * from "./headers.ts";
export * from "./normalize-subject.ts";
export * from "./parse-message.ts";
