// Typed configuration from the environment. Every process (web, gateway,
// scripts) reads it through loadConfig(); nothing else reads process.env for
// service settings.
import { z } from "zod";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_QUOTA_BYTES } from "./limits.ts";

const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .default("false")
  .transform((v) => v === "true" || v === "1" || v === "yes");

const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  MAIL_DOMAIN: z
    .string()
    .regex(
      /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i,
      "MAIL_DOMAIN must be a domain name",
    )
    .default("mail.test")
    .transform((v) => v.toLowerCase()),
  MAIL_HOSTNAME: z.string().optional(),
  DATA_DIR: z.string().default("./data"),
  WEB_PORT: port.default(3000),
  WEB_HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.string().url().optional(),
  SMTP_PORT: port.default(2525),
  SUBMISSION_PORT: port.default(2587),
  POP3_PORT: port.default(2110),
  // POP3 over implicit TLS (RFC 8314; 995 in production).
  POP3S_PORT: port.default(2995),
  IMAP_PORT: port.default(2143),
  // IMAP over implicit TLS (RFC 8314; 993 in production).
  IMAPS_PORT: port.default(2993),
  LISTEN_HOST: z.string().default("0.0.0.0"),
  // The gateway's HTTP listener for health probes (/healthz, /readyz); 0 runs none.
  GATEWAY_HTTP_PORT: port.default(2580),
  // Loopback by default: probes come from the same host or container.
  GATEWAY_HTTP_HOST: z.string().default("127.0.0.1"),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  // Comma-separated "ip" or "ip:port" DNS servers for SPF/DKIM/DMARC and MX
  // lookups; the system's resolv.conf when unset.
  DNS_SERVERS: z.string().optional(),
  DEFAULT_QUOTA_BYTES: z.coerce.bigint().default(DEFAULT_QUOTA_BYTES),
  MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(DEFAULT_MAX_MESSAGE_BYTES),
  // Only behind a reverse proxy that sets X-Forwarded-For/-Host/-Proto itself.
  TRUST_PROXY: flag,
  // Development: allow plain-text AUTH/LOGIN without TLS on submission, POP3, IMAP.
  ALLOW_INSECURE_AUTH: flag,
  // Tests only: let the server's own HTTP requests (one-click unsubscribe,
  // Web Push) reach loopback and private addresses (lib/http/safe-post.ts).
  OUTBOUND_HTTP_ALLOW_PRIVATE: flag,
  // Single sign-on: a JSON list of OpenID Connect providers, one per hosted
  // domain (lib/accounts/oidc-sign-in.ts), e.g.
  // [{"domain":"corp.example","issuer":"https://id.corp.example","clientId":"mail","clientSecret":"…","createAccounts":true}]
  OIDC_PROVIDERS: z.string().optional(),
  // Outbound relay. Static routes: "example.org=127.0.0.1:2526,other.test=host:25".
  RELAY_ROUTES: z.string().default(""),
  // Smarthost: every remote domain goes there ("host:port"), with AUTH when a user is set.
  RELAYHOST: z.string().default(""),
  RELAYHOST_USER: z.string().default(""),
  RELAYHOST_PASSWORD: z.string().default(""),
  RELAY_RETRY_BASE_SECONDS: z.coerce.number().positive().default(300),
  RELAY_RETRY_MAX_SECONDS: z.coerce
    .number()
    .positive()
    .default(4 * 3600),
  RELAY_LIFETIME_SECONDS: z.coerce
    .number()
    .positive()
    .default(5 * 24 * 3600),
  RELAY_DELAY_WARNING_SECONDS: z.coerce
    .number()
    .positive()
    .default(4 * 3600),
  RELAY_LEASE_SECONDS: z.coerce.number().positive().default(600),
  RELAY_CONCURRENCY_PER_DOMAIN: z.coerce.number().int().positive().default(4),
  // Longest sleep of an idle relay worker: NOTIFY wakes it for new mail, its timer for retries.
  RELAY_POLL_SECONDS: z.coerce.number().positive().default(10),
  // Remote SMTP port (25 on the internet; tests point MX hosts at loopback ports).
  RELAY_REMOTE_PORT: port.default(25),
  SEND_LIMIT_MESSAGES_PER_HOUR: z.coerce.number().int().positive().default(100),
  SEND_LIMIT_RECIPIENTS_PER_DAY: z.coerce.number().int().positive().default(1000),
  // Webmail: how long a sent message can still be taken back (undo send).
  UNDO_SEND_SECONDS: z.coerce.number().int().min(0).max(120).default(10),
  // Mail in Junk older than this many days is deleted for good (0: never).
  JUNK_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  // Optional external scanner (lib/spam/rspamd.ts): rspamd's normal worker, e.g. http://rspamd:11333.
  RSPAMD_URL: z.url().optional(),
  RSPAMD_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  // Key of the Sender Rewriting Scheme for forwarded mail (lib/relay/srs.ts); every
  // gateway instance needs the same one. Empty: NEXTAUTH_SECRET's is used; neither: no SRS.
  SRS_SECRET: z.string().default(""),
  NEXTAUTH_SECRET: z.string().default(""),
});

export type HostPort = { host: string; port: number };

function parseHostPort(value: string, defaultPort: number): HostPort {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`Invalid configuration: "${value}" is not host[:port]`);
  return { host: match[1]!, port: match[2] ? Number(match[2]) : defaultPort };
}

function parseRoutes(value: string): Map<string, HostPort> {
  const routes = new Map<string, HostPort>();
  for (const entry of value
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [domain, target] = entry.split("=");
    if (!domain || !target) throw new Error(`Invalid configuration: RELAY_ROUTES entry "${entry}"`);
    routes.set(domain.trim().toLowerCase(), parseHostPort(target, 25));
  }
  return routes;
}

export type Config = {
  databaseUrl: string | undefined;
  mailDomain: string;
  hostname: string;
  dataDir: string;
  web: {
    port: number;
    host: string;
    /** PUBLIC_URL, else the address to print for this machine (http://localhost:port). */
    publicUrl: string;
    /** PUBLIC_URL's origin, or null when unset: then every address the server answers on is its own. */
    publicOrigin: string | null;
  };
  smtp: { port: number; submissionPort: number; listenHost: string };
  pop3: { port: number; tlsPort: number };
  imap: { port: number; tlsPort: number };
  /** The gateway's HTTP listener (lib/health probes); port null when it runs none. */
  gatewayHttp: { port: number | null; host: string };
  tls: { certFile: string | undefined; keyFile: string | undefined };
  dns: { servers: string[] | undefined };
  defaultQuotaBytes: bigint;
  maxMessageBytes: number;
  trustProxy: boolean;
  allowInsecureAuth: boolean;
  /** lib/http/safe-post.ts may contact private addresses (tests only). */
  outboundHttpAllowPrivate: boolean;
  relay: {
    routes: Map<string, HostPort>;
    relayhost: (HostPort & { user: string; password: string }) | null;
    remotePort: number;
    retryBaseSeconds: number;
    retryMaxSeconds: number;
    lifetimeSeconds: number;
    delayWarningSeconds: number;
    leaseSeconds: number;
    concurrencyPerDomain: number;
    pollSeconds: number;
  };
  sendLimits: { messagesPerHour: number; recipientsPerDay: number };
  compose: { undoSendSeconds: number };
  /** Days mail stays in Junk before the gateway deletes it (lib/spam/junk-retention.ts); 0: forever. */
  junkRetentionDays: number;
  /** rspamd asked beside the built-in classifier; null: the classifier alone. */
  rspamd: { url: string; timeoutMs: number } | null;
  /** Null when no secret is configured: forwards keep the original envelope sender. */
  srsSecret: string | null;
  /** OpenID Connect single sign-on, at most one provider per hosted domain (OIDC_PROVIDERS). */
  oidcProviders: OidcProviderConfig[];
};

export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

const oidcProviderSchema = z
  .object({
    /** The hosted domain whose users sign in there; only addresses at it are accepted. */
    domain: z.string().trim().toLowerCase().min(1),
    issuer: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** Make an account on first sign-in for a verified address with none yet. */
    createAccounts: z.boolean().default(false),
  })
  .strict();

function parseOidcProviders(value: string | undefined): OidcProviderConfig[] {
  if (!value?.trim()) return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error("Invalid configuration: OIDC_PROVIDERS is not JSON");
  }
  const parsed = z.array(oidcProviderSchema).safeParse(json);
  if (!parsed.success)
    throw new Error(`Invalid configuration: OIDC_PROVIDERS: ${parsed.error.issues[0]!.message}`);
  const domains = parsed.data.map((p) => p.domain);
  if (new Set(domains).size !== domains.length)
    throw new Error("Invalid configuration: OIDC_PROVIDERS names a domain twice");
  return parsed.data;
}

let cached: Config | undefined;

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    mailDomain: e.MAIL_DOMAIN,
    hostname: (e.MAIL_HOSTNAME ?? `mx.${e.MAIL_DOMAIN}`).toLowerCase(),
    dataDir: e.DATA_DIR,
    web: {
      port: e.WEB_PORT,
      host: e.WEB_HOST,
      publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.WEB_PORT}`,
      publicOrigin: e.PUBLIC_URL ? new URL(e.PUBLIC_URL).origin : null,
    },
    smtp: { port: e.SMTP_PORT, submissionPort: e.SUBMISSION_PORT, listenHost: e.LISTEN_HOST },
    pop3: { port: e.POP3_PORT, tlsPort: e.POP3S_PORT },
    imap: { port: e.IMAP_PORT, tlsPort: e.IMAPS_PORT },
    gatewayHttp: { port: e.GATEWAY_HTTP_PORT || null, host: e.GATEWAY_HTTP_HOST },
    tls: { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE },
    dns: {
      servers: e.DNS_SERVERS?.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    },
    defaultQuotaBytes: e.DEFAULT_QUOTA_BYTES,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    trustProxy: e.TRUST_PROXY,
    allowInsecureAuth: e.ALLOW_INSECURE_AUTH,
    outboundHttpAllowPrivate: e.OUTBOUND_HTTP_ALLOW_PRIVATE,
    oidcProviders: parseOidcProviders(e.OIDC_PROVIDERS),
    relay: {
      routes: parseRoutes(e.RELAY_ROUTES),
      relayhost: e.RELAYHOST
        ? {
            ...parseHostPort(e.RELAYHOST, 25),
            user: e.RELAYHOST_USER,
            password: e.RELAYHOST_PASSWORD,
          }
        : null,
      remotePort: e.RELAY_REMOTE_PORT,
      retryBaseSeconds: e.RELAY_RETRY_BASE_SECONDS,
      retryMaxSeconds: e.RELAY_RETRY_MAX_SECONDS,
      lifetimeSeconds: e.RELAY_LIFETIME_SECONDS,
      delayWarningSeconds: e.RELAY_DELAY_WARNING_SECONDS,
      leaseSeconds: e.RELAY_LEASE_SECONDS,
      concurrencyPerDomain: e.RELAY_CONCURRENCY_PER_DOMAIN,
      pollSeconds: e.RELAY_POLL_SECONDS,
    },
    sendLimits: {
      messagesPerHour: e.SEND_LIMIT_MESSAGES_PER_HOUR,
      recipientsPerDay: e.SEND_LIMIT_RECIPIENTS_PER_DAY,
    },
    compose: { undoSendSeconds: e.UNDO_SEND_SECONDS },
    junkRetentionDays: e.JUNK_RETENTION_DAYS,
    rspamd: e.RSPAMD_URL ? { url: e.RSPAMD_URL, timeoutMs: e.RSPAMD_TIMEOUT_MS } : null,
    srsSecret: e.SRS_SECRET || (e.NEXTAUTH_SECRET ? `srs:${e.NEXTAUTH_SECRET}` : null),
  };
}

/** The process's configuration, parsed once from process.env. */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
