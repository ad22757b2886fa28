// The AUTHORIZATION state (RFC 1939 §4): CAPA (RFC 2449), STLS (RFC 2595),
// USER/PASS, AUTH PLAIN (RFC 5034) and QUIT. Logins go through
// lib/accounts/authenticate.ts, so POP3 has the web's and SMTP's throttling
// and disabled-account rules; the maildrop is snapshotted at login.
import { authenticate } from "../../../lib/accounts/authenticate.ts";
import { MAX_POP3_LOGIN_FAILURES } from "../../../lib/config/limits.ts";
import { isUserError } from "../../../lib/errors.ts";
import { openMaildrop } from "../../../lib/store/maildrop.ts";
import { decodeBase64Strict, decodeSaslPlain, parseArgs } from "../parse.ts";
import { loginFailureReply, REPLIES } from "../replies.ts";
import type { CommandHandler, Pop3Session } from "../session.ts";

/** RFC 2449 §5: what this state offers. USER and SASL only where a login is allowed. */
export const capa: CommandHandler = async (session) => {
  const lines = ["+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE"];
  lines.push("PIPELINING");
  if (session.state === "authorization") {
    if (session.loginAllowed) lines.push("USER", "SASL PLAIN");
    if (!session.secure) lines.push("STLS");
  }
  lines.push("IMPLEMENTATION mail-gateway", ".");
  await session.send(lines.join("\r\n"));
};

const quit: CommandHandler = async (session) => {
  await session.send(`+OK ${session.options.hostname} POP3 server signing off`);
  session.close();
};

const stls: CommandHandler = async (session, args) => {
  if (args.length > 0) return session.badCommand("-ERR STLS takes no arguments");
  if (session.secure) return session.badCommand("-ERR Command not permitted when TLS active");
  await session.startTls();
};

const user: CommandHandler = async (session, args) => {
  if (!session.loginAllowed) return session.send(REPLIES.tlsRequired);
  const parsed = parseArgs("USER", args);
  if (!parsed.ok) return session.badCommand(`-ERR USER: ${parsed.reason}`);
  session.pendingUser = parsed.value[0];
  await session.send("+OK Send your password");
};

const pass: CommandHandler = async (session, _args, line) => {
  if (!session.loginAllowed) return session.send(REPLIES.tlsRequired);
  const username = session.pendingUser;
  if (username === null) return session.badCommand("-ERR Send USER first");
  session.pendingUser = null;
  // RFC 1939 §7: the password is the rest of the line, so it may contain spaces.
  const password = line.replace(/^\s*\S+ /, "");
  await logIn(session, username, password);
};

const auth: CommandHandler = async (session, args) => {
  const parsed = parseArgs("AUTH", args);
  if (!parsed.ok) return session.badCommand(`-ERR AUTH: ${parsed.reason}`);
  const [mechanism, initialResponse] = parsed.value;
  // "AUTH" alone lists the mechanisms, as RFC 1734 clients expect.
  if (mechanism === undefined) {
    const list = session.loginAllowed ? "PLAIN\r\n." : ".";
    return session.send(`+OK Supported mechanisms follow\r\n${list}`);
  }
  if (!session.loginAllowed) return session.send(REPLIES.tlsRequired);
  if (mechanism.toUpperCase() !== "PLAIN") {
    return session.send("-ERR Unsupported authentication mechanism");
  }
  if (initialResponse === undefined) {
    session.saslPending = true;
    return session.send("+ ");
  }
  await finishSaslPlain(session, initialResponse);
};

/** The client's PLAIN response (initial or after "+ "); "*" cancels (RFC 5034 §4). */
export async function finishSaslPlain(session: Pop3Session, response: string): Promise<void> {
  if (response.trim() === "*") return session.send("-ERR Authentication cancelled");
  const decoded = decodeBase64Strict(response.trim());
  const credentials = decoded && decodeSaslPlain(decoded);
  if (!credentials) return session.badCommand("-ERR [AUTH] Malformed SASL PLAIN response");
  await logIn(session, credentials.username, credentials.password);
}

async function logIn(session: Pop3Session, username: string, password: string): Promise<void> {
  let account;
  try {
    account = await authenticate(username, password, { ip: session.clientIp, protocol: "pop3" });
  } catch (error) {
    if (!isUserError(error)) session.options.log(`pop3: login failed: ${(error as Error).message}`);
    await session.send(loginFailureReply(error));
    session.loginFailures++;
    if (session.loginFailures >= MAX_POP3_LOGIN_FAILURES) {
      await session.send(REPLIES.tooManyLoginFailures);
      session.close();
    }
    return;
  }
  try {
    session.maildrop = await openMaildrop(account.id);
  } catch (error) {
    session.options.log(`pop3: opening the maildrop failed: ${(error as Error).message}`);
    return session.send(REPLIES.temporaryFailure);
  }
  session.account = { id: account.id, address: account.address };
  session.state = "transaction";
  if (account.appPasswordId) await session.endOnRevocation(account.id, account.appPasswordId);
  const messages = session.maildrop.messages;
  const octets = messages.reduce((n, m) => n + m.size, 0);
  await session.send(`+OK ${account.address} has ${messages.length} messages (${octets} octets)`);
}

export const AUTHORIZATION_COMMANDS: Record<string, CommandHandler> = {
  CAPA: capa,
  STLS: stls,
  USER: user,
  PASS: pass,
  AUTH: auth,
  QUIT: quit,
};
