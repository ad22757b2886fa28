// LOGIN and AUTHENTICATE PLAIN (RFC 3501 §6.2, RFC 4616, RFC 4959 SASL-IR).
// Passwords are checked by lib/accounts/authenticate.ts: the same throttling
// and disabled-account rules as the web app and SMTP submission.
import { authenticate } from "../../../lib/accounts/authenticate.ts";
import { isUserError } from "../../../lib/errors.ts";
import type { Command } from "../parse.ts";
import { CommandFailure, failureFor, type CommandHandler, type ImapSession } from "../session.ts";

async function logIn(session: ImapSession, user: string, password: string): Promise<string> {
  if (!session.mayLogin)
    throw new CommandFailure("NO", "PRIVACYREQUIRED", "Use STARTTLS before logging in");
  try {
    const account = await authenticate(user, password, { ip: session.clientIp, protocol: "imap" });
    await session.loggedIn({ id: account.id, address: account.address }, account.appPasswordId);
  } catch (error) {
    const failure = failureFor(error);
    if (!isUserError(error)) session.options.log(`imap: login failed: ${(error as Error).message}`);
    throw new CommandFailure("NO", failure.code, failure.message);
  }
  return `[CAPABILITY ${session.capabilities()}] Logged in`;
}

const login: CommandHandler = async (session, command) => {
  const c = command as Extract<Command, { name: "LOGIN" }>;
  return logIn(session, c.user, c.password);
};

const authenticateCommand: CommandHandler = async (session, command) => {
  const c = command as Extract<Command, { name: "AUTHENTICATE" }>;
  if (c.mechanism !== "PLAIN")
    throw new CommandFailure("NO", "CANNOT", `Mechanism ${c.mechanism} is not supported`);
  if (!session.mayLogin)
    throw new CommandFailure("NO", "PRIVACYREQUIRED", "Use STARTTLS before logging in");
  let response = c.initial;
  if (response === null) {
    session.write("+ \r\n");
    response = (await session.nextLine()).toString("latin1").trim();
  }
  if (response === "*") throw new CommandFailure("BAD", null, "Authentication cancelled");
  // RFC 4959: "=" is an empty initial response.
  const decoded = response === "=" ? "" : Buffer.from(response, "base64").toString("utf8");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response === "=" ? "" : response))
    throw new CommandFailure("BAD", null, "The response is not base64");
  const [authzid, authcid, password, extra] = decoded.split("\u0000");
  if (authcid === undefined || password === undefined || extra !== undefined)
    throw new CommandFailure("BAD", null, "A PLAIN response is authzid NUL authcid NUL password");
  if (authzid && authzid.toLowerCase() !== authcid.toLowerCase())
    throw new CommandFailure("NO", "AUTHORIZATIONFAILED", "Acting as another user is not allowed");
  return logIn(session, authcid, password);
};

export const authCommands: Record<string, CommandHandler> = {
  LOGIN: login,
  AUTHENTICATE: authenticateCommand,
};
