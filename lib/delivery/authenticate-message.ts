// SPF (RFC 7208), DKIM (RFC 6376), ARC (RFC 8617) and DMARC (RFC 7489)
// verdicts for an inbound message, computed with mailauth through the
// injected resolver, and the Authentication-Results field (RFC 8601) that
// records them. Verdicts are recorded, not enforced: nothing is refused here.
//
// mailauth's authenticate() runs the same steps; they are called one by one
// so that DKIM verification, which reads the whole message, is skipped for
// the many messages that carry no signature (RFC 8601 "dkim=none").
import { isIP } from "node:net";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { arc, dkimVerify, dmarc, spf, type ARCResult, type DKIMVerifyResult } from "mailauth";
import type { HeaderField } from "../mime/headers.ts";
import { toMailauthResolver, type DnsResolver } from "../dns/resolver.ts";
import type { SpooledMessage } from "./spool.ts";

export type AuthenticationInput = {
  message: SpooledMessage;
  /** The message's header fields (lib/mime parseHeaderFields). */
  headerFields: HeaderField[];
  clientIp: string;
  helo: string;
  /** MAIL FROM; "" for the null reverse-path. */
  mailFrom: string;
  /** Our host name: the authserv-id of the result (RFC 8601 §2.5). */
  hostname: string;
  resolver: DnsResolver;
};

export type AuthenticationVerdicts = {
  spf: string;
  dkim: string[];
  dmarc: string;
  /** The Authentication-Results field value, folded. */
  header: string;
};

// Checks that take longer are given up as temperror: SPF alone may do ten
// lookups (RFC 7208 §4.6.4), and a message must not wait minutes for DNS.
const AUTH_TIMEOUT_MS = 20_000;

/** Never rejects: failures of DNS or of mailauth itself come out as temperror. */
export async function authenticateMessage(
  input: AuthenticationInput,
): Promise<AuthenticationVerdicts> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("authentication checks timed out")), AUTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([runChecks(input), timeout]);
  } catch (error) {
    const comment = ` (${String((error as Error)?.message ?? error)
      .replace(/[()\r\n;]/g, " ")
      .slice(0, 80)})`;
    return formatVerdicts(input.hostname, {
      spf: `spf=temperror${comment}`,
      dkim: [`dkim=temperror${comment}`],
      dmarc: `dmarc=temperror${comment}`,
      arc: null,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function runChecks(input: AuthenticationInput): Promise<AuthenticationVerdicts> {
  const resolver = toMailauthResolver(input.resolver);
  const signed = input.headerFields.some((f) => f.name === "dkim-signature");
  const sealed = input.headerFields.some((f) => f.name === "arc-seal");
  // RFC 7208 §2.4: with a null reverse-path, SPF checks postmaster@<HELO>.
  const helo = isIP(input.helo) ? `[${input.helo}]` : input.helo;
  const sender = input.mailFrom || `postmaster@${input.helo}`;

  let dkimResult: DKIMVerifyResult | null = null;
  if (signed || sealed) {
    dkimResult = await dkimVerify(input.message.memory ?? input.message.open(), {
      resolver,
      sender,
    });
  }
  const spfResult = await spf({ ip: input.clientIp, helo, sender, mta: input.hostname, resolver });

  let arcResult: ARCResult | null = null;
  const arcData = (dkimResult as { arc?: Parameters<typeof arc>[0] } | null)?.arc;
  if (sealed && arcData) arcResult = await arc(arcData, { resolver });

  const headerFrom = dkimResult?.headerFrom ?? fromAddresses(input.headerFields);
  let dmarcInfo: string;
  if (headerFrom.length === 1) {
    const result = await dmarc({
      headerFrom,
      spfDomains: spfResult.status.result === "pass" && spfResult.domain ? [spfResult.domain] : [],
      dkimDomains: (dkimResult?.results ?? [])
        .filter((r) => r.status.result === "pass")
        .map((r) => ({
          id: r.id,
          domain: r.signingDomain,
          aligned: r.status.aligned,
          underSized: r.status.underSized,
        })),
      arcResult: arcResult ?? undefined,
      resolver,
    });
    dmarcInfo = result && result.info ? result.info : "dmarc=none";
  } else {
    // RFC 7489 §6.6.1: no single RFC5322.From domain, no DMARC evaluation.
    dmarcInfo = `dmarc=${headerFrom.length === 0 ? "none (no From address)" : "permerror (multiple From addresses)"}`;
  }

  return formatVerdicts(input.hostname, {
    spf: spfResult.info,
    dkim: dkimResult?.results?.length
      ? dkimResult.results.map((r) => r.info)
      : ["dkim=none (message not signed)"],
    dmarc: dmarcInfo,
    arc: arcResult?.info ?? null,
  });
}

function fromAddresses(fields: HeaderField[]): string[] {
  const out: string[] = [];
  for (const field of fields) {
    if (field.name !== "from") continue;
    for (const entry of addressparser(field.value))
      if ("address" in entry && entry.address) out.push(entry.address);
  }
  return out;
}

function formatVerdicts(
  hostname: string,
  parts: { spf: string; dkim: string[]; dmarc: string; arc: string | null },
): AuthenticationVerdicts {
  const lines = [...parts.dkim, parts.spf, ...(parts.arc ? [parts.arc] : []), parts.dmarc].map(
    (line) => line.replace(/\r?\n\s*/g, " "),
  );
  return {
    spf: parts.spf,
    dkim: parts.dkim,
    dmarc: parts.dmarc,
    // RFC 8601 §2.2: authserv-id, then one resinfo per method, ";"-separated.
    header: `${hostname};\r\n\t${lines.join(";\r\n\t")}`,
  };
}
