// What an SMTP session tells about its client, in the shape lib's trace
// headers take (Received: from/with/TLS): shared by the MX and submission servers.
import type { SMTPServerSession } from "smtp-server";
import type { InboundSession } from "../../lib/delivery/index.ts";

/** The client's address without the IPv4-mapped IPv6 prefix, as throttling keys and headers want it. */
export function clientIpOf(session: SMTPServerSession): string {
  return session.remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

export function describeSession(session: SMTPServerSession, id: string): InboundSession {
  const tls = session.secure && session.tlsOptions ? session.tlsOptions : null;
  const hostname = session.clientHostname;
  return {
    id,
    helo: session.hostNameAppearsAs || "",
    clientIp: session.remoteAddress,
    // Without a reverse lookup smtp-server puts the "[ip]" literal here.
    clientHostname: hostname && !hostname.startsWith("[") ? hostname : null,
    esmtp: session.openingCommand !== "HELO",
    tls: tls ? { protocol: tls.version, cipher: tls.name } : null,
    authenticated: Boolean(session.user),
    smtpUtf8: Boolean(session.envelope.smtpUtf8),
  };
}
