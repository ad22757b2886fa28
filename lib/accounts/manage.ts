// Account changes made by admins (dashboard and CLI). Each change that must
// end existing sessions bumps sessionVersion in the same statement.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { hashPassword } from "../auth/password.ts";
import { Role } from "../generated/prisma/enums.ts";
import { normalizeAddress } from "./address.ts";

async function accountIdByAddress(address: string): Promise<string> {
  const account = await db.account.findUnique({
    where: { address: normalizeAddress(address) },
    select: { id: true },
  });
  if (!account) throw new UserError("not_found", `No account ${address}.`);
  return account.id;
}

export async function setAccountDisabled(address: string, disabled: boolean): Promise<void> {
  const id = await accountIdByAddress(address);
  await db.account.update({ where: { id }, data: { disabled, sessionVersion: { increment: 1 } } });
}

export async function setAccountRole(address: string, role: Role): Promise<void> {
  const id = await accountIdByAddress(address);
  await db.account.update({ where: { id }, data: { role, sessionVersion: { increment: 1 } } });
}

export async function setAccountPassword(address: string, password: string): Promise<void> {
  const id = await accountIdByAddress(address);
  const passwordHash = await hashPassword(password);
  await db.account.update({
    where: { id },
    data: { passwordHash, sessionVersion: { increment: 1 } },
  });
}

export async function findAccountByAddress(address: string) {
  return db.account.findUnique({
    where: { address: normalizeAddress(address) },
    select: { id: true, address: true, displayName: true, role: true, disabled: true },
  });
}

export { Role };
