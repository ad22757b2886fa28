// SPF (RFC 7208), DKIM (RFC 6376), ARC (RFC 8617) and DMARC (RFC 7489)
// verdicts for an inbound message, computed with mailauth through the
// injected resolver, and the Authentication-Results field (RFC 8601) that
// records them. Verdicts are recorded here, not enforced: lib/spam/verdict.ts
// decides what they mean for the message.
//
// Mail from outside that claims a hosted domain (in MAIL FROM, From, Sender
// or a From display name) without SPF or DKIM for that domain is the one a
// local user's mail must never be mistaken for: the claim is recorded in
// the verdicts (x-local-sender=fail) and, by the caller, on the stored copy.
//
// mailauth's authenticate() runs the same steps; they are called one by one
// so that DKIM verification, which reads the whole message, is skipped for
// the many messages that carry no signature (RFC 8601 "dkim=none").
import { isIP } from "node:net";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { addressesNamedIn, headerValueText } from "../mime/named-addresses.ts";
import {
  arc,
  dkimVerify,
  dmarc,
  spf,
  type ARCResult,
  type DKIMVerifyResult,
  type DMARCResult,
} from "mailauth";
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
  /**
   * Which of the domains senderClaimDomains named are hosted here (the
   * caller looks them up): claims to these need SPF or DKIM to count.
   */
  hostedDomains: ReadonlySet<string>;
};

export type AuthenticationVerdicts = {
  spf: string;
  dkim: string[];
  dmarc: string;
  /**
   * The hosted address the message claims to be from without SPF or DKIM
   * for its domain (see the file comment); null when it claims none.
   */
  localSenderClaim: string | null;
  /** The Authentication-Results field value, folded. */
  header: string;
  /** The same results as data, for policy (lib/spam/verdict.ts) to act on. */
  facts: AuthenticationFacts;
};

/** What the checks found, as the policy reads it (results as RFC 8601 names them). */
export type AuthenticationFacts = {
  /** SPF of the MAIL FROM (or HELO) domain: "fail" is a -all match (RFC 7208 §2.6.4). */
  spf: { result: string; domain: string | null };
  /** Domains of the DKIM signatures that verified (RFC 6376 d=), lower case. */
  dkimPassed: string[];
  /**
   * DMARC (RFC 7489) of the From domain: result, the policy that applies
   * to it (sp for a subdomain, RFC 7489 §6.3) and pct; null policy when no
   * record was found.
   */
  dmarc: { result: string; domain: string | null; policy: string | null; pct: number | null };
  /** The From domain (one From address), null otherwise. */
  fromDomain: string | null;
  /** ARC (RFC 8617): the chain's result and the domain of its newest seal. */
  arc: { result: string; sealer: string | null } | null;
  /** The hosted claim the message makes, if any; `backed` as for localSenderClaim. */
  hostedClaim: { address: string; property: string; backed: boolean } | null;
};

/** A sender the message names, and where (RFC 8601 §2.3 ptype.property). */
type SenderClaim = { address: string; property: "header.from" | "header.sender" | "smtp.mailfrom" };

/**
 * Who the message says sent it, in the order a reader meets them: the From
 * mailboxes, the addresses the From value reads as (a display name such as
 * "admin@mail.test" <x@elsewhere>), the Sender, the envelope sender.
 */
function senderClaims(fields: HeaderField[], mailFrom: string): SenderClaim[] {
  const claims: SenderClaim[] = [];
  for (const name of ["from", "sender"] as const) {
    const property = name === "from" ? "header.from" : "header.sender";
    for (const field of fields) {
      if (field.name !== name) continue;
      const text = headerValueText(field.value);
      for (const address of [...mailboxAddresses(text), ...addressesNamedIn(text)])
        claims.push({ address: address.toLowerCase(), property });
    }
  }
  if (mailFrom) claims.push({ address: mailFrom.toLowerCase(), property: "smtp.mailfrom" });
  return claims;
}

/** A domain and every parent of it: a claim to it.mail.test is a claim to mail.test. */
function withParents(domain: string): string[] {
  const labels = domain.split(".");
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
}

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);

/** The domains to look up as hosted for authenticateMessage's hostedDomains. */
export function senderClaimDomains(fields: HeaderField[], mailFrom: string): string[] {
  const domains = senderClaims(fields, mailFrom).flatMap((c) => withParents(domainOf(c.address)));
  return [...new Set(domains)].filter((d) => d.length > 0 && d.length <= 253);
}

/** Domains the checks passed for. */
type Passed = { dkim: string[]; spf: string | null };

/**
 * The first claim to a hosted domain that neither SPF nor DKIM backs for
 * that domain or a parent of it (the alignment DMARC calls relaxed); and,
 * when every hosted claim is backed, the first backed one. A message our
 * own DKIM key signed went through submission, which checked its envelope
 * sender too: that backs an envelope sender in another hosted domain (an
 * alias's mail sent from the account's own address).
 */
function hostedClaim(
  claims: SenderClaim[],
  hosted: ReadonlySet<string>,
  passed: Passed,
): { claim: SenderClaim; backed: boolean } | null {
  const aligned = (c: SenderClaim, domains: string[]) =>
    withParents(domainOf(c.address)).some((d) => domains.includes(d));
  const isHosted = (c: SenderClaim) => aligned(c, [...hosted]);
  const signedHere = passed.dkim.some((d) => hosted.has(d));
  const backed = (c: SenderClaim) =>
    aligned(c, [...passed.dkim, ...(passed.spf ? [passed.spf] : [])]) ||
    (c.property === "smtp.mailfrom" && signedHere);
  const ours = claims.filter(isHosted);
  const forged = ours.find((c) => !backed(c));
  if (forged) return { claim: forged, backed: false };
  return ours[0] ? { claim: ours[0], backed: true } : null;
}

// RFC 8601 §2.2 pvalue: an addr-spec of plain atoms, anything else made "?".
const pvalue = (address: string) => address.replace(/[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]/g, "?");

function claimResult(found: { claim: SenderClaim; backed: boolean }): string {
  const { claim, backed } = found;
  // Not a registered method (RFC 8601 §2.7 lists none for this): an
  // extension name, which verifiers that do not know it ignore (§2.7.7).
  return backed
    ? `x-local-sender=pass (hosted domain, authenticated) ${claim.property}=${pvalue(claim.address)}`
    : `x-local-sender=fail (from outside, claims a hosted domain without SPF or DKIM for it) ${claim.property}=${pvalue(claim.address)}`;
}

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
    return formatVerdicts(input, {
      spf: `spf=temperror${comment}`,
      dkim: [`dkim=temperror${comment}`],
      dmarc: `dmarc=temperror${comment}`,
      arc: null,
      // Nothing could be checked: no claim is backed.
      passed: { dkim: [], spf: null },
      facts: {
        spf: { result: "temperror", domain: null },
        dkimPassed: [],
        dmarc: { result: "temperror", domain: null, policy: null, pct: null },
        fromDomain: null,
        arc: null,
      },
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
  let dmarcFacts: AuthenticationFacts["dmarc"] = {
    result: "none",
    domain: null,
    policy: null,
    pct: null,
  };
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
    if (result) {
      const found = result as Partial<DMARCResult> & { status?: { result?: string } };
      dmarcFacts = {
        result: found.status?.result ?? "none",
        domain: found.domain ?? null,
        policy: found.policy ? String(found.policy).toLowerCase() : null,
        pct: typeof found.pct === "number" ? found.pct : null,
      };
    }
  } else {
    // RFC 7489 §6.6.1: no single RFC5322.From domain, no DMARC evaluation.
    dmarcInfo = `dmarc=${headerFrom.length === 0 ? "none (no From address)" : "permerror (multiple From addresses)"}`;
  }

  const passed: Passed = {
    dkim: (dkimResult?.results ?? [])
      .filter((r) => r.status.result === "pass" && r.signingDomain)
      .map((r) => r.signingDomain.toLowerCase()),
    spf:
      spfResult.status.result === "pass" && spfResult.domain
        ? spfResult.domain.toLowerCase()
        : null,
  };
  return formatVerdicts(input, {
    spf: spfResult.info,
    dkim: dkimResult?.results?.length
      ? dkimResult.results.map((r) => r.info)
      : ["dkim=none (message not signed)"],
    dmarc: dmarcInfo,
    arc: arcResult?.info ?? null,
    passed,
    facts: {
      spf: {
        result: spfResult.status.result,
        domain: spfResult.domain ? spfResult.domain.toLowerCase() : null,
      },
      dkimPassed: passed.dkim,
      dmarc: dmarcFacts,
      fromDomain: headerFrom.length === 1 ? domainOf(headerFrom[0]!).toLowerCase() : null,
      arc: arcResult
        ? {
            result: arcResult.status.result,
            sealer:
              (arcResult.signature && arcResult.signature.signingDomain?.toLowerCase()) || null,
          }
        : null,
    },
  });
}

function fromAddresses(fields: HeaderField[]): string[] {
  return fields.filter((f) => f.name === "from").flatMap((f) => mailboxAddresses(f.value));
}

/** The addresses of an address-list value, groups flattened. */
function mailboxAddresses(value: string): string[] {
  return addressparser(value, { flatten: true })
    .map((entry) => entry.address)
    .filter((address): address is string => Boolean(address));
}

function formatVerdicts(
  input: AuthenticationInput,
  parts: {
    spf: string;
    dkim: string[];
    dmarc: string;
    arc: string | null;
    passed: Passed;
    facts: Omit<AuthenticationFacts, "hostedClaim">;
  },
): AuthenticationVerdicts {
  const claim = hostedClaim(
    senderClaims(input.headerFields, input.mailFrom),
    input.hostedDomains,
    parts.passed,
  );
  const lines = [
    ...parts.dkim,
    parts.spf,
    ...(parts.arc ? [parts.arc] : []),
    parts.dmarc,
    ...(claim ? [claimResult(claim)] : []),
  ].map((line) => line.replace(/\r?\n\s*/g, " "));
  return {
    spf: parts.spf,
    dkim: parts.dkim,
    dmarc: parts.dmarc,
    localSenderClaim: claim && !claim.backed ? claim.claim.address : null,
    facts: {
      ...parts.facts,
      hostedClaim: claim
        ? { address: claim.claim.address, property: claim.claim.property, backed: claim.backed }
        : null,
    },
    // RFC 8601 §2.2: authserv-id, then one resinfo per method, ";"-separated.
    header: `${input.hostname};\r\n\t${lines.join(";\r\n\t")}`,
  };
}
