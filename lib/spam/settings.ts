// The MX's spam and abuse settings, service-wide, in one Setting row
// ("spam", a JSON object) so every gateway instance applies the same policy.
// Absent or unreadable (an older format, a hand edit): the defaults below,
// which are what a fresh install does. Cached for SETTINGS_CACHE_MS per
// process, like lib/accounts/settings.ts; the writer drops its own cache.
import { z } from "zod";
import { db } from "../db.ts";
import { SETTINGS_CACHE_MS } from "../config/limits.ts";
import { isValidDomainName } from "../accounts/address.ts";

const SETTING_KEY = "spam";

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .transform((d) => d.replace(/\.$/, ""))
  .refine((d) => isValidDomainName(d), "Not a domain name");

/** A DNS list zone (RFC 5782): IP lists are asked by reversed address, domain lists by name. */
export const dnsListSchema = z.object({
  zone: domainName,
  /** ip: zen.spamhaus.org-style; domain: DBL-style (the sender's domains). */
  kind: z.enum(["ip", "domain"]),
  /** What a listing means: refuse, file as Junk, or trust (an allowlist such as dnswl). */
  action: z.enum(["reject", "junk", "allow"]),
});
export type DnsList = z.infer<typeof dnsListSchema>;

export const spamSettingsSchema = z.object({
  /** SPF -all failing (RFC 7208 §2.6.4) without a DKIM signature aligned with From. */
  spfFailAction: z.enum(["junk", "reject"]).default("junk"),
  /**
   * Mail from outside claiming a hosted domain (MAIL FROM, From, Sender)
   * with neither SPF nor that domain's DKIM signature: hosted users send
   * through submission, so by default it is refused.
   */
  hostedSpoofAction: z.enum(["reject", "junk"]).default("reject"),
  /**
   * Forwarders (mailing lists, forwarding services) whose ARC seal (RFC
   * 8617) is believed: their passing seal stands in for the authentication
   * the forwarding broke.
   */
  trustedForwarders: z.array(domainName).max(200).default([]),
  /** A content scorer's spam probability at or above this files the copy as Junk. */
  contentJunkThreshold: z.number().min(0).max(1).default(0.9),
  /** At or above this the message is refused; null (the default) never refuses on content. */
  contentRejectThreshold: z.number().min(0).max(1).nullable().default(null),
  /** DNS block and allow lists, asked through the injectable resolver. */
  dnsLists: z.array(dnsListSchema).max(20).default([]),
  /** Longest wait for all DNS list answers of one message; past it, no verdict from them. */
  dnsListTimeoutMs: z.number().int().min(100).max(10_000).default(2_000),
  /**
   * Sender domains (MAIL FROM or From, subdomains included) always let
   * through to the Inbox when authenticated (SPF or DKIM for them): a
   * forged sender gets no benefit.
   */
  allowedSenderDomains: z.array(domainName).max(1000).default([]),
  /** Sender domains refused outright (550 5.7.1). */
  blockedSenderDomains: z.array(domainName).max(1000).default([]),
  /**
   * Whether the per-client limits below apply to loopback clients too. Off
   * by default: local software (a content filter's reinjection, a
   * benchmark) is trusted as Postfix trusts mynetworks.
   */
  limitLoopbackClients: z.boolean().default(false),
  /** Connections one client IP may hold open at once on one gateway. */
  maxConnectionsPerIp: z.number().int().min(1).max(1000).default(10),
  /** Messages one client network may send per hour (all gateways together). */
  maxMessagesPerIpPerHour: z.number().int().min(1).max(1_000_000).default(500),
  /** Unknown recipients in one session after which each further one is answered slowly. */
  harvestSlowAfter: z.number().int().min(1).max(1000).default(5),
  /** Unknown recipients in one session after which it is closed with 421. */
  harvestDisconnectAfter: z.number().int().min(1).max(1000).default(15),
  /** Greylisting (RFC 6647): off by default. */
  greylisting: z
    .object({
      enabled: z.boolean().default(false),
      /** How long a new (network, sender, recipient) triplet is deferred. */
      delaySeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .default({ enabled: false, delaySeconds: 300 }),
});

export type SpamSettings = z.infer<typeof spamSettingsSchema>;
export type SpamSettingsInput = z.input<typeof spamSettingsSchema>;

export const DEFAULT_SPAM_SETTINGS: SpamSettings = spamSettingsSchema.parse({});

let cache: { at: number; value: SpamSettings } | undefined;

/** The settings in force (defaults for anything never stored). */
export async function getSpamSettings(): Promise<SpamSettings> {
  if (cache && Date.now() - cache.at < SETTINGS_CACHE_MS) return cache.value;
  const row = await db.setting.findUnique({ where: { key: SETTING_KEY } });
  const parsed = spamSettingsSchema.safeParse(row?.value ?? {});
  const value = parsed.success ? parsed.data : DEFAULT_SPAM_SETTINGS;
  cache = { at: Date.now(), value };
  return value;
}

/**
 * Replaces the stored settings with `changes` over the ones in force
 * (validated: a ZodError names the bad field). Returns what is now in force.
 */
export async function updateSpamSettings(
  changes: Partial<SpamSettingsInput>,
): Promise<SpamSettings> {
  const current = await getSpamSettings();
  const value = spamSettingsSchema.parse({ ...current, ...changes });
  await db.setting.upsert({
    where: { key: SETTING_KEY },
    create: { key: SETTING_KEY, value },
    update: { value },
  });
  cache = { at: Date.now(), value };
  return value;
}

/** Back to the defaults (tests, and the admin's "reset"). */
export async function resetSpamSettings(): Promise<void> {
  await db.setting.deleteMany({ where: { key: SETTING_KEY } });
  cache = undefined;
}

/** The lines of a list field: one entry a line (commas too), blanks and # comments dropped. */
function lines(text: string): string[] {
  return text
    .split(/[\r\n,]+/)
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

function number(text: string, label: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value))
    throw new z.ZodError([{ code: "custom", path: [label], message: `${label}: enter a number.` }]);
  return value;
}

/**
 * The admin form's fields (text as typed) as settings, checked by the
 * schema: DNS lists are "zone kind action" lines ("zen.example ip reject"),
 * domain lists one domain a line, thresholds in percent. A ZodError's
 * message names the field.
 */
export function parseSpamSettingsForm(field: (name: string) => string): SpamSettings {
  const dnsLists = lines(field("dnsLists").replace(/,/g, "\n")).map((line) => {
    const [zone = "", kind = "ip", action = "junk", ...rest] = line.split(/\s+/);
    const parsed = dnsListSchema.safeParse({ zone, kind, action });
    if (!parsed.success || rest.length)
      throw new z.ZodError([
        {
          code: "custom",
          path: ["dnsLists"],
          message: `DNS lists: "${line}" is not "zone ip|domain reject|junk|allow".`,
        },
      ]);
    return parsed.data;
  });
  const rejectText = field("contentRejectPercent").trim();
  const input = {
    spfFailAction: field("spfFailAction"),
    hostedSpoofAction: field("hostedSpoofAction"),
    trustedForwarders: lines(field("trustedForwarders")),
    contentJunkThreshold: number(field("contentJunkPercent"), "Junk threshold") / 100,
    contentRejectThreshold: rejectText === "" ? null : number(rejectText, "Reject threshold") / 100,
    dnsLists,
    dnsListTimeoutMs: number(field("dnsListTimeoutMs"), "DNS list timeout"),
    allowedSenderDomains: lines(field("allowedSenderDomains")),
    blockedSenderDomains: lines(field("blockedSenderDomains")),
    limitLoopbackClients: field("limitLoopbackClients") === "on",
    maxConnectionsPerIp: number(field("maxConnectionsPerIp"), "Connections per IP"),
    maxMessagesPerIpPerHour: number(field("maxMessagesPerIpPerHour"), "Messages per hour"),
    harvestSlowAfter: number(field("harvestSlowAfter"), "Slow down after"),
    harvestDisconnectAfter: number(field("harvestDisconnectAfter"), "Disconnect after"),
    greylisting: {
      enabled: field("greylisting") === "on",
      delaySeconds: number(field("greylistDelaySeconds"), "Greylisting delay"),
    },
  };
  const parsed = spamSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new z.ZodError([
      { ...issue, message: `${issue.path.join(" ") || "Settings"}: ${issue.message}` },
    ]);
  }
  return parsed.data;
}
