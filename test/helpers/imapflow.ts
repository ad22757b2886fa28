// An imapflow client for a test gateway's plain IMAP port (STARTTLS offered,
// the test certificate accepted), signed in with the test password.
import { ImapFlow } from "imapflow";
import { TEST_PASSWORD } from "./accounts.ts";

export function imapFlowClient(port: number, user: string): ImapFlow {
  return new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user, pass: TEST_PASSWORD },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
}
