// npm run admin -- <command> [arguments]
// Account administration from the shell, for the first admin and for
// recovery. Uses the same lib/ functions as the admin dashboard.
import { existsSync } from "node:fs";
import path from "node:path";
import { userInfo } from "node:os";
import readline from "node:readline";
import { ZodError } from "zod";
import { loadConfig } from "../lib/config/index.ts";
import { migrate } from "../lib/db/migrate.ts";
import { openDatabase } from "./lib/database.ts";

const USAGE = `usage: npm run admin -- <command>

  create-admin <address> [--name "Display Name"]   create an admin (or make an account admin)
  create-user <address> [--name "Display Name"]    create an account
  set-password <address>                           set a new password
  disable <address> | enable <address>             stop or allow all logins and sessions
  promote <address> | demote <address>             grant or revoke the admin role
  unlock <address> | unlock <ip>                   lift sign-in throttling of an address or a network
  add-domain <domain>                              host another domain
  create-invite [--domain d] [--uses n] [--days n] make a signup invite; prints its code and link
  refresh-previews                                 make stored mail's preview lines again (after an upgrade)

Passwords are read from ADMIN_PASSWORD, else from standard input.`;

const root = path.resolve(import.meta.dirname, "..");
if (existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));

const [command, target = "", ...rest] = process.argv.slice(2);
const nameIndex = rest.indexOf("--name");
const displayName = nameIndex >= 0 ? (rest[nameIndex + 1] ?? "") : "";
/** The value after `--name` anywhere after the command, for commands that take only options. */
const option = (name: string): string | undefined => {
  const args = process.argv.slice(3);
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const OPTIONS_ONLY = new Set(["create-invite", "refresh-previews"]);
if (!command || (!target && !OPTIONS_ONLY.has(command))) {
  console.error(USAGE);
  process.exit(2);
}

async function readPassword(prompt: string): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  const input = process.stdin;
  if (input.isTTY) process.stdout.write(prompt);
  const rl = readline.createInterface({ input, terminal: false });
  if (input.isTTY) input.setRawMode?.(false);
  const line = await new Promise<string>((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  return line;
}

const config = loadConfig();
const database = await openDatabase({
  dataDir: path.resolve(root, config.dataDir),
  reuseRunning: true,
});
process.env.DATABASE_URL = database.url;
let exitCode = 0;
try {
  await migrate(database.url);
  const { UserError } = await import("../lib/errors.ts");
  const { splitAddress, localPartProblem, normalizeAddress } =
    await import("../lib/accounts/address.ts");
  const { passwordProblem } = await import("../lib/auth/password-policy.ts");
  const { createAccount } = await import("../lib/accounts/create-account.ts");
  const { ensureHostedDomain } = await import("../lib/accounts/domains.ts");
  const manage = await import("../lib/accounts/manage.ts");
  const { recordAudit } = await import("../lib/admin/audit.ts");
  // CLI changes are audited like the dashboard's, with no acting account.
  const audit = (action: string, auditTarget: string) =>
    recordAudit({
      actorId: null,
      actor: `cli:${userInfo().username}`,
      action,
      target: auditTarget,
    });
  const { disconnectDb } = await import("../lib/db.ts");

  const newPassword = async (address: string) => {
    const password = await readPassword(`Password for ${address}: `);
    const problem = passwordProblem(password, { address });
    if (problem) throw new UserError("weak_password", problem);
    return password;
  };

  try {
    switch (command) {
      case "create-admin":
      case "create-user": {
        const parts = splitAddress(target);
        if (!parts) throw new UserError("invalid_input", `Not an address: ${target}`);
        const problem = localPartProblem(parts.localPart);
        if (problem) throw new UserError("invalid_input", problem);
        const role = command === "create-admin" ? manage.Role.ADMIN : manage.Role.USER;
        const existing = await manage.findAccountByAddress(target);
        if (existing) {
          if (role !== manage.Role.ADMIN)
            throw new UserError("address_taken", `${existing.address} exists already.`);
          await manage.setAccountRole(existing.address, role);
          await audit("account.promote", existing.address);
          console.log(`${existing.address} is now an admin`);
          break;
        }
        if (parts.domain === config.mailDomain) await ensureHostedDomain(parts.domain);
        const account = await createAccount({
          localPart: parts.localPart,
          domain: parts.domain,
          displayName: displayName || parts.localPart,
          password: await newPassword(`${parts.localPart}@${parts.domain}`),
          role,
        });
        await audit("account.create", account.address);
        console.log(`created ${account.role === "ADMIN" ? "admin" : "account"} ${account.address}`);
        break;
      }
      case "set-password":
        await manage.setAccountPassword(target, await newPassword(target));
        await audit("account.password_reset", target);
        console.log(`password of ${target} changed; its sessions are signed out`);
        break;
      case "disable":
      case "enable":
        await manage.setAccountDisabled(target, command === "disable");
        await audit(`account.${command}`, target);
        console.log(`${target} ${command}d`);
        break;
      case "promote":
      case "demote":
        await manage.setAccountRole(
          target,
          command === "promote" ? manage.Role.ADMIN : manage.Role.USER,
        );
        await audit(`account.${command}`, target);
        console.log(`${target} ${command}d`);
        break;
      case "unlock": {
        const { liftLoginThrottle } = await import("../lib/auth/login-throttle.ts");
        const address = target.includes("@") ? normalizeAddress(target) : "";
        const cleared = await liftLoginThrottle(address ? { address } : { network: target });
        await audit(address ? "account.unlock" : "network.unlock", address || target);
        console.log(
          cleared
            ? `sign-in throttling of ${address || target} lifted`
            : `${address || target} was not throttled`,
        );
        break;
      }
      case "add-domain": {
        const { name } = await ensureHostedDomain(target);
        await audit("domain.create", name);
        console.log(`hosting ${name}`);
        break;
      }
      case "create-invite": {
        const { createInvite } = await import("../lib/accounts/invites.ts");
        const count = (name: string) => {
          const value = option(name);
          return value === undefined ? undefined : Number(value);
        };
        const invite = await createInvite(
          { domain: option("--domain") ?? "", maxUses: count("--uses"), days: count("--days") },
          { accountId: null, label: `cli:${userInfo().username}` },
        );
        await audit("invite.create", invite.id);
        console.log(`invite code: ${invite.code}`);
        console.log(`signup link: ${invite.link}`);
        console.log(
          `good for ${invite.maxUses} signup(s)${invite.domain ? ` at ${invite.domain}` : ""} until ${invite.expiresAt.toISOString()}`,
        );
        break;
      }
      case "refresh-previews": {
        const { refreshPreviews } = await import("../lib/store/refresh-previews.ts");
        const done = await refreshPreviews();
        console.log(`${done.sources} source(s) read, ${done.changed} preview line(s) changed`);
        break;
      }
      default:
        console.error(USAGE);
        exitCode = 2;
    }
  } catch (error) {
    // Bad input (a user error, or an option the lib's schema refuses) is a message, not a trace.
    const message =
      error instanceof ZodError
        ? (error.issues[0]?.message ?? "invalid option")
        : error instanceof UserError
          ? error.message
          : undefined;
    if (message === undefined) throw error;
    console.error(`error: ${message}`);
    exitCode = 1;
  } finally {
    await disconnectDb();
  }
} finally {
  await database.embedded?.stop();
}
process.exit(exitCode);
