// Creating an account: the one path used by signup, the admin dashboard and
// the admin CLI.
import { Prisma } from "../generated/prisma/client.ts";
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { getServiceSettings } from "./settings.ts";
import { hashPassword } from "../auth/password.ts";
import { createDefaultMailboxes } from "../store/mailboxes.ts";
import { Role } from "../generated/prisma/enums.ts";
import { displayNameProblem } from "./sender-addresses.ts";
import { assertStorableText } from "../validation/storable-text.ts";
import { releaseHeldMessagesQuietly } from "../delivery/held-messages.ts";

export type NewAccount = {
  localPart: string;
  domain: string;
  displayName: string;
  password: string;
  role?: Role;
  quotaBytes?: bigint;
  /**
   * Runs in the account's transaction before the row is inserted (signup
   * redeems its invite here); throwing rolls the whole signup back.
   */
  withinTransaction?: (
    tx: Tx,
    domain: { id: string; name: string; signupEnabled: boolean },
  ) => Promise<void>;
};

export type AccountSummary = { id: string; address: string; displayName: string; role: Role };

/**
 * Inserts the account with its default folders in one transaction. The
 * caller has validated the input (signup rules differ from admin rules).
 * Throws UserError("address_taken") when an account or alias has the address.
 */
export async function createAccount(input: NewAccount): Promise<AccountSummary> {
  const localPart = input.localPart.toLowerCase();
  const domainName = input.domain.toLowerCase();
  const address = `${localPart}@${domainName}`;
  // The callers' rules differ, but none may hand Postgres a NUL or a lone surrogate.
  assertStorableText(address, "localPart");
  assertStorableText(input.displayName, "displayName");
  // Signup, the admin dashboard and the CLI alike: the name goes into the
  // From of the account's mail and must not read as another address.
  const nameProblem = displayNameProblem([address], input.displayName);
  if (nameProblem) throw new UserError("invalid_input", nameProblem, "displayName");
  const passwordHash = await hashPassword(input.password);
  const quotaBytes = input.quotaBytes ?? (await getServiceSettings()).defaultQuotaBytes;
  let account: AccountSummary;
  try {
    account = await db.$transaction(async (tx) => {
      const domain = await tx.domain.findFirst({ where: { name: domainName, hosted: true } });
      if (!domain)
        throw new UserError("domain_not_hosted", `${domainName} is not hosted here.`, "domain");
      const alias = await tx.alias.findUnique({ where: { address }, select: { id: true } });
      if (alias) throw new UserError("address_taken", `${address} is already taken.`, "localPart");
      await input.withinTransaction?.(tx, domain);
      const account = await tx.account.create({
        data: {
          address,
          localPart,
          domainId: domain.id,
          displayName: input.displayName.trim(),
          passwordHash,
          role: input.role ?? Role.USER,
          quotaBytes,
        },
        select: { id: true, address: true, displayName: true, role: true },
      });
      await createDefaultMailboxes(tx, account.id);
      return account;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new UserError("address_taken", `${address} is already taken.`, "localPart");
    }
    throw error;
  }
  // The first admin gets the postmaster mail kept while there was none.
  if (account.role === Role.ADMIN) await releaseHeldMessagesQuietly();
  return account;
}
