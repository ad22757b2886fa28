// The gateway process's listeners, startable in-process (tests, benchmark)
// or from main.ts: the inbound MX server, the submission server and the
// outbound relay worker. POP3 and IMAP join here as they are built.
import path from "node:path";
import { loadConfig, type Config } from "../lib/config/index.ts";
import { createSystemResolver, type DnsResolver } from "../lib/dns/index.ts";
import { clearSpool, vacationRepliesSettled } from "../lib/delivery/index.ts";
import { createInboundServer } from "./smtp/server.ts";
import { loadTlsCredentials, type TlsCredentials } from "./smtp/tls.ts";
import { deliverOwedReports, deliverSenderReports } from "../lib/queue/reports.ts";
import { RelayWorker } from "./relay/worker.ts";
import { createSubmissionServer } from "./submission/server.ts";
import { ScheduledSendWorker } from "./scheduled/worker.ts";
import { MessageSizeLimit } from "./message-size-limit.ts";
import type { SMTPServer } from "smtp-server";
import { startImap } from "./imap/start.ts";
import { startPop3 } from "./pop3/start.ts";
import { SearchIndexer } from "../lib/store/search-indexer.ts";
import type { ContentScorer } from "../lib/spam/verdict.ts";
import { scoreSpam } from "../lib/spam/classifier/index.ts";
import { withRspamd } from "../lib/spam/rspamd.ts";
import { SpamMaintenance, spamMaintenanceJobs } from "../lib/spam/maintenance.ts";

export type GatewayOptions = {
  config?: Config;
  /** Port of the inbound SMTP server; 0 picks a free one. Default config.smtp.port. */
  smtpPort?: number;
  listenHost?: string;
  /** DNS for SPF/DKIM/DMARC; default the system resolver (config.dns.servers). */
  resolver?: DnsResolver;
  /** The MX verdict pipeline's content step (lib/spam/verdict.ts); default none. */
  contentScorer?: ContentScorer;
  /** STARTTLS certificate; default from TLS_CERT_FILE/TLS_KEY_FILE or a self-signed one under DATA_DIR. */
  tls?: TlsCredentials;
  maxMessageBytes?: number;
  /** Where large messages are spooled while they are received; default DATA_DIR/spool. */
  spoolDir?: string;
  /** Run the outbound relay worker (default true). */
  relay?: boolean;
  /** Port of the submission server; 0 picks a free one, null runs none. Default config.smtp.submissionPort. */
  submissionPort?: number | null;
  log?: (line: string) => void;
  /** IMAP (STARTTLS) port; 0 picks a free one, null runs none. Default config.imap.port. */
  imapPort?: number | null;
  /** IMAP over implicit TLS (993); 0 picks a free one, null runs none. Default config.imap.tlsPort. */
  imapsPort?: number | null;
  /** POP3 with STLS; 0 picks a free port, null runs none. Default config.pop3.port. */
  pop3Port?: number | null;
  /** POP3 over implicit TLS; 0 picks a free port, null runs none. Default config.pop3.tlsPort. */
  pop3TlsPort?: number | null;
};

export type Gateway = {
  smtpPort: number;
  /** Null when no submission server runs. */
  submissionPort: number | null;
  /** Null when no IMAP server runs. */
  imapPort: number | null;
  imapsPort: number | null;
  /** Null when that POP3 listener does not run. */
  pop3Port: number | null;
  pop3TlsPort: number | null;
  /** Deliveries being stored right now. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets deliveries in progress finish (their
   * clients get their 250 or 4xx), then closes the remaining connections
   * with 421 (RFC 5321 §3.8). Does not close the database: the caller does.
   */
  close(): Promise<void>;
};

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? ((line: string) => console.log(line));
  const tls =
    options.tls ??
    (await loadTlsCredentials({
      certFile: config.tls.certFile,
      keyFile: config.tls.keyFile,
      dataDir: config.dataDir,
      hostname: config.hostname,
    }));

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const forget = () => inFlight.delete(work);
    work.then(forget, forget);
    return work;
  };

  const spoolDir = options.spoolDir ?? path.join(path.resolve(config.dataDir), "spool");
  const stale = await clearSpool(spoolDir);
  if (stale) log(`gateway: removed ${stale} spool files of an earlier process`);

  const resolver = options.resolver ?? createSystemResolver({ servers: config.dns.servers });
  const relay =
    options.relay === false
      ? null
      : new RelayWorker({
          relay: config.relay,
          hostname: config.hostname,
          resolver,
          deliverReports: (reports) => deliverSenderReports(reports, log),
          deliverOwedReports: (owner) => deliverOwedReports(owner, log),
          log,
        });
  relay?.start();
  // Webmail sends after their undo window or at their scheduled time.
  const scheduled =
    options.relay === false
      ? null
      : // A second's poll: the undo window ends on time, and the query is one small scan.
        new ScheduledSendWorker({ pollMs: 1000, log });
  scheduled?.start();
  // Search vectors of new copies, filled after their commit (lib/store/search-indexer.ts).
  const searchIndexer = new SearchIndexer({ log });
  searchIndexer.start();
  // Queued spam training left by a crash, and Junk's retention (lib/spam/maintenance.ts).
  const spamMaintenance = new SpamMaintenance(log, spamMaintenanceJobs(config.junkRetentionDays));
  spamMaintenance.start();

  // The admin's setting when stored, else this option or the configuration.
  const sizeLimit = new MessageSizeLimit(options.maxMessageBytes ?? config.maxMessageBytes, log);
  await sizeLimit.start();
  const server = createInboundServer({
    hostname: config.hostname,
    get maxMessageBytes() {
      return sizeLimit.bytes;
    },
    tls,
    resolver,
    contentScorer:
      options.contentScorer ??
      (config.rspamd
        ? withRspamd(scoreSpam, { baseUrl: config.rspamd.url, timeoutMs: config.rspamd.timeoutMs })
        : undefined),
    spoolDir,
    log,
    track,
  });
  sizeLimit.attach(server);
  server.on("error", (error: Error) => log(`gateway: smtp server error: ${error.message}`));

  const host = options.listenHost ?? config.smtp.listenHost;
  const port = await listen(server, options.smtpPort ?? config.smtp.port, host);
  log(`gateway: smtp listening on ${host}:${port}`);

  const submissionPortWanted =
    options.submissionPort === undefined ? config.smtp.submissionPort : options.submissionPort;
  const submission =
    submissionPortWanted === null
      ? null
      : createSubmissionServer({
          hostname: config.hostname,
          maxMessageBytes: sizeLimit.bytes,
          tls,
          allowInsecureAuth: config.allowInsecureAuth,
          log,
          track,
        });
  if (submission) sizeLimit.attach(submission);
  submission?.on("error", (error: Error) =>
    log(`gateway: submission server error: ${error.message}`),
  );
  const submissionPort =
    submission && submissionPortWanted !== null
      ? await listen(submission, submissionPortWanted, host)
      : null;
  if (submission) log(`gateway: submission listening on ${host}:${submissionPort}`);
  if (relay) log(`gateway: relay worker ${relay.owner} started`);
  const pop3 = await startPop3({ options, config, tls, host, log, track });

  const imap = await startImap({ options, config, tls, host, log });

  return {
    smtpPort: port,
    submissionPort,
    imapPort: imap.port,
    imapsPort: imap.tlsPort,
    pop3Port: pop3.port,
    pop3TlsPort: pop3.tlsPort,
    inFlight: () => inFlight.size,
    async close() {
      const servers = submission ? [server, submission] : [server];
      const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      closed.push(pop3.close(), imap.close());
      await Promise.allSettled([...inFlight]);
      // Auto-replies to what those deliveries stored (lib/delivery/vacation.ts).
      await vacationRepliesSettled();
      for (const s of servers) {
        for (const connection of s.connections) {
          connection.send(421, "4.3.2 Service shutting down, try again later");
          connection.close();
        }
      }
      await Promise.all(closed);
      await scheduled?.stop();
      sizeLimit.stop();
      await relay?.stop();
      await searchIndexer.stop();
      await spamMaintenance.stop();
    },
  };
}

function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, host, () => {
      server.server.off("error", reject);
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}
