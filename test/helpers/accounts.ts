// Accounts for tests, made through the same lib/ functions as signup.
import { createAccount } from "../../lib/accounts/create-account.ts";
import { ensureHostedDomain } from "../../lib/accounts/domains.ts";
import type { Role } from "../../lib/generated/prisma/enums.ts";

export const TEST_DOMAIN = "mail.test";
export const TEST_PASSWORD = "correct horse battery staple";

export async function makeAccount(
  localPart: string,
  options: { role?: Role; domain?: string; quotaBytes?: bigint } = {},
) {
  const domain = options.domain ?? TEST_DOMAIN;
  await ensureHostedDomain(domain);
  return createAccount({
    localPart,
    domain,
    displayName: localPart,
    password: TEST_PASSWORD,
    role: options.role,
    quotaBytes: options.quotaBytes,
  });
}
