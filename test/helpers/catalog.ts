// A comparable description of a database's schema, read from the catalogs:
// tables and columns, indexes, constraints, enums and extensions.
import pg from "pg";

export async function describeSchema(url: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query(sql)).rows;
    return {
      columns: await q(`
        SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, datetime_precision
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_migrations'
        ORDER BY table_name, column_name`),
      indexes: await q(`
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_migrations'
        ORDER BY tablename, indexname`),
      constraints: await q(`
        SELECT c.relname AS table_name, k.conname, k.contype, pg_get_constraintdef(k.oid) AS definition
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname <> '_migrations'
        ORDER BY c.relname, k.conname`),
      enums: await q(`
        SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t
        JOIN pg_enum e ON e.enumtypid = t.oid ORDER BY t.typname, e.enumsortorder`),
      extensions: await q(`SELECT extname FROM pg_extension ORDER BY extname`),
    };
  } finally {
    await client.end();
  }
}
