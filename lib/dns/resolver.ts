// The DNS resolver interface and its implementations: the system one (node:dns
// with timeouts and a small cache), a table-driven one for tests, and one that
// fails every query like a machine with no DNS at all.
import { Resolver } from "node:dns/promises";

export type DnsRecordType = "A" | "AAAA" | "MX" | "TXT" | "PTR" | "CNAME" | "NS";

export type MxRecord = { exchange: string; priority: number };

/**
 * Answers in the shapes node:dns/promises `resolve(name, type)` gives (TXT:
 * string[][], MX: {exchange, priority}[], A/AAAA/PTR/CNAME/NS: string[]).
 * Failures reject with an Error whose `code` is a node:dns code: ENOTFOUND
 * (no such name) and ENODATA (no record of that type) are definite answers,
 * anything else (ETIMEOUT, ESERVFAIL, ECONNREFUSED, …) is temporary.
 */
export interface DnsResolver {
  resolve(name: string, rrtype: DnsRecordType): Promise<unknown[]>;
}

export type DnsError = Error & { code: string; hostname: string };

export function dnsError(code: string, name: string): DnsError {
  return Object.assign(new Error(`query ${name} failed: ${code}`), { code, hostname: name });
}

/** Whether an error means "the name or record does not exist" rather than "could not ask". */
export function isDefiniteDnsAnswer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOTFOUND" || code === "ENODATA";
}

export async function resolveTxt(resolver: DnsResolver, name: string): Promise<string[][]> {
  return (await resolver.resolve(name, "TXT")) as string[][];
}

export async function resolveMx(resolver: DnsResolver, name: string): Promise<MxRecord[]> {
  return (await resolver.resolve(name, "MX")) as MxRecord[];
}

/** The function shape mailauth takes as its `resolver` option. */
export function toMailauthResolver(
  resolver: DnsResolver,
): (name: string, rrtype: string) => Promise<string[][] | string[]> {
  return (name, rrtype) =>
    resolver.resolve(name, rrtype.toUpperCase() as DnsRecordType) as Promise<string[][] | string[]>;
}

export type SystemResolverOptions = {
  /** "ip" or "ip:port" entries; the system's resolv.conf when empty. */
  servers?: string[];
  /** Upper bound for one query, all tries included. */
  timeoutMs?: number;
  /** How long answers (and "does not exist") are reused. 0 turns the cache off. */
  cacheTtlMs?: number;
};

// Answers and NXDOMAIN are kept this long: short enough that a changed SPF or
// DKIM record is seen within a minute, long enough that a burst of mail from
// one sender asks once. c-ares caches nothing itself.
const DEFAULT_CACHE_TTL_MS = 60_000;
const MAX_CACHE_ENTRIES = 10_000;
// SPF allows 10 lookups per check (RFC 7208 §4.6.4) and mail must not wait
// minutes for them: 5 s per query in all, split over 2 tries.
const DEFAULT_TIMEOUT_MS = 5_000;

/** node:dns with a hard per-query timeout and a small TTL cache. */
export function createSystemResolver(options: SystemResolverOptions = {}): DnsResolver {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  if (options.servers?.length) resolver.setServers(options.servers);
  const cache = new Map<string, { expires: number; answer?: unknown[]; error?: DnsError }>();

  const lookup = (name: string, rrtype: DnsRecordType): Promise<unknown[]> =>
    new Promise((resolve, reject) => {
      // c-ares honours its own timeout; this guard holds whatever it does.
      const timer = setTimeout(() => reject(dnsError("ETIMEOUT", name)), timeoutMs);
      (resolver.resolve(name, rrtype) as Promise<unknown[]>).then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const code = (error as { code?: unknown } | null)?.code;
          reject(dnsError(typeof code === "string" ? code : "ESERVFAIL", name));
        },
      );
    });

  return {
    async resolve(name, rrtype) {
      if (ttl <= 0) return lookup(name, rrtype);
      const key = `${rrtype} ${name.toLowerCase()}`;
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.expires > now) {
        if (hit.error) throw hit.error;
        return hit.answer!;
      }
      if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
      try {
        const answer = await lookup(name, rrtype);
        cache.set(key, { expires: now + ttl, answer });
        return answer;
      } catch (error) {
        // Only definite answers are cached; a timeout is asked again next time.
        if (isDefiniteDnsAnswer(error))
          cache.set(key, { expires: now + ttl, error: error as DnsError });
        throw error;
      }
    },
  };
}

export type DnsTable = Record<string, Partial<Record<DnsRecordType, unknown[]>>>;

/**
 * Answers from a table (names lower-case): ENOTFOUND for names it lacks,
 * ENODATA for a missing type of a known name. For tests and the benchmark.
 */
export function createStaticResolver(table: DnsTable): DnsResolver {
  return {
    async resolve(name, rrtype) {
      const records = table[name.toLowerCase().replace(/\.$/, "")];
      if (!records) throw dnsError("ENOTFOUND", name);
      const answer = records[rrtype];
      if (!answer) throw dnsError("ENODATA", name);
      return answer;
    },
  };
}

/** Fails every query as a machine without DNS does: checks must come out temperror. */
export function createUnavailableResolver(code = "ECONNREFUSED"): DnsResolver {
  return {
    async resolve(name) {
      throw dnsError(code, name);
    },
  };
}
