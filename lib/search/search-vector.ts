// The full-text search vector of one message copy, as a SQL expression over
// "Message" m: subject (weight A), addresses (B), attachment names (C), body
// text cut to MAX_SEARCH_TEXT_CHARS (D), with the language-neutral 'simple'
// configuration (mail comes in every language; no stemming). One definition,
// used by the indexer that stores it (lib/store/search-indexer.ts) and by
// search for copies the indexer has not reached yet (build-search-sql.ts).
// Plain text with no parameters, so both SQL builders (Prisma.raw, lib/db/sql)
// can embed it.
import { MAX_SEARCH_TEXT_CHARS } from "../config/limits.ts";

export const SEARCH_VECTOR_SQL = `(
  setweight(to_tsvector('simple', m."subject"), 'A')
  || setweight(to_tsvector('simple', concat_ws(' ', m."fromName", m."fromAddress",
    (SELECT string_agg(concat_ws(' ', r.v->>'name', r.v->>'address'), ' ')
      FROM jsonb_array_elements(m."toList" || m."ccList") AS r(v)))), 'B')
  || setweight(to_tsvector('simple', COALESCE(
    (SELECT string_agg(a."filename", ' ' ORDER BY a."index") FROM "Attachment" a
      WHERE a."sourceSha256" = m."sourceSha256"), '')), 'C')
  || setweight(to_tsvector('simple', COALESCE(
    (SELECT left(s."textBody", ${MAX_SEARCH_TEXT_CHARS}) FROM "MessageSource" s
      WHERE s."sha256" = m."sourceSha256"), '')), 'D'))`;
