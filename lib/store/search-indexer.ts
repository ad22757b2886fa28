// Filling search vectors after delivery. Computing a message's vector
// (to_tsvector over up to 100,000 characters of body) inside the delivery
// transaction would hold the batch's account locks, and every SMTP client,
// while it runs; instead lib/store writes each copy with a NULL vector and
// an UnindexedMessage row, and this indexer, running in every gateway
// process, fills vectors in batches. Until then search computes the vector
// of a waiting copy on the fly (lib/search/search-messages.ts), so a message
// is searchable the moment it is delivered. Vectors go into MessageSearch,
// not into "Message": an UPDATE of Message that touches an indexed column
// cannot be HOT, so it would add an entry to each of Message's indexes and
// write the row again, which under delivery load cost the MX as much as a
// second delivery.
//
// Safe with any number of instances: each batch claims its rows with FOR
// UPDATE SKIP LOCKED and the messages' rows with FOR KEY SHARE SKIP LOCKED
// (all the vector's foreign key needs: the copy is not deleted meanwhile),
// so it never waits for or deadlocks with a transaction that holds a
// message (a flag change, a move, a delete), and it fills the vectors and
// deletes the rows in one transaction.
// Nothing is kept in memory: a process that dies leaves its rows for the
// next run. Deliveries in this process wake the indexer after their commit
// (wakeSearchIndexers); copies stored by other processes (the web app's
// drafts, another gateway) are found by the poll.
import { Sql, sql, withTransaction } from "../db/sql.ts";
import { SEARCH_VECTOR_SQL } from "../search/search-vector.ts";

/** Copies indexed per transaction: big enough to amortise a commit, small enough to hold rows briefly. */
const INDEX_BATCH = 500;
/** After a wake-up, wait this long so that one run takes the copies of several deliveries. */
const WAKE_DELAY_MS = 50;
/** Polling interval: copies stored by other processes, and catch-up after a restart or an error. */
const POLL_MS = 10_000;

/**
 * Fills the vectors of up to `limit` waiting copies, in one transaction, and
 * returns how many waiting rows it consumed (rows of copies deleted meanwhile
 * included). Copies whose Message row another transaction holds are left
 * for a later run.
 */
export async function indexWaitingMessages(limit = INDEX_BATCH): Promise<number> {
  return withTransaction(async (tx) => {
    const { rows } = await tx.query<{ indexed: number }>(
      sql`
        WITH claimed AS (
          SELECT u."accountId", u."messageId" FROM "UnindexedMessage" u
          JOIN "Message" m ON m."accountId" = u."accountId" AND m."id" = u."messageId"
          LIMIT ${limit}::int FOR UPDATE OF u SKIP LOCKED FOR KEY SHARE OF m SKIP LOCKED
        ), orphans AS (
          SELECT u."accountId", u."messageId" FROM "UnindexedMessage" u
          WHERE NOT EXISTS (SELECT 1 FROM "Message" m
            WHERE m."accountId" = u."accountId" AND m."id" = u."messageId")
          LIMIT ${limit}::int FOR UPDATE OF u SKIP LOCKED
        ), filled AS (
          INSERT INTO "MessageSearch" ("accountId", "messageId", "vector")
          SELECT m."accountId", m."id", ${new Sql([SEARCH_VECTOR_SQL], [])}
          FROM claimed c JOIN "Message" m ON m."accountId" = c."accountId" AND m."id" = c."messageId"
          ON CONFLICT ("accountId", "messageId") DO UPDATE SET "vector" = EXCLUDED."vector"
        ), done AS (
          DELETE FROM "UnindexedMessage" u
          USING (SELECT * FROM claimed UNION ALL SELECT * FROM orphans) c
          WHERE u."accountId" = c."accountId" AND u."messageId" = c."messageId"
          RETURNING 1
        )
        SELECT count(*)::int AS "indexed" FROM done`.toQuery("index-search-vectors"),
    );
    return rows[0]!.indexed;
  });
}

const running = new Set<SearchIndexer>();

/** Wakes the indexers started in this process (none in the web app): new copies were committed. */
export function wakeSearchIndexers(): void {
  for (const indexer of running) indexer.wake(WAKE_DELAY_MS);
}

export type SearchIndexerOptions = {
  log: (line: string) => void;
};

/** The loop: woken after deliveries and by a timer; drains the waiting rows batch after batch. */
export class SearchIndexer {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly options: SearchIndexerOptions) {}

  start(): void {
    this.stopped = false;
    running.add(this);
    this.timer = setInterval(() => this.wake(0), POLL_MS);
    this.timer.unref();
    this.wake(0);
  }

  /** Stops waking; resolves when the batch in progress is committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    running.delete(this);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }

  wake(delayMs: number): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = new Promise<void>((resolve) => setTimeout(resolve, delayMs))
      .then(() => this.drain())
      .finally(() => {
        this.current = null;
        if (this.again) {
          this.again = false;
          this.wake(WAKE_DELAY_MS);
        }
      });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await indexWaitingMessages()) === INDEX_BATCH);
    } catch (error) {
      // The database is away or busy: the next poll tries again.
      this.options.log(`search indexer: ${(error as Error).message}`);
    }
  }
}
