// Password hashing with argon2id (RFC 9106), OWASP's recommended parameters:
// 19 MiB memory, 2 iterations, 1 lane. Hashes are self-describing PHC strings,
// so parameters can be raised later and old hashes still verify.
import { hash, verify } from "@node-rs/argon2";
import { MAX_PASSWORD_LENGTH } from "../config/limits.ts";

const PARAMS = {
  // Algorithm.Argon2id is an ambient const enum (2); isolatedModules cannot read it.
  algorithm: 2 as const,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

export async function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

// Verifying against this when the account does not exist keeps the time of a
// failed login the same, so response time does not reveal which users exist.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(
  storedHash: string | null,
  password: string,
): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  if (!storedHash) {
    dummyHash ??= hashPassword("timing-equaliser-not-a-password");
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
