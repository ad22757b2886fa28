// The certificate for STARTTLS (RFC 3207): the files named by TLS_CERT_FILE
// and TLS_KEY_FILE, or else a self-signed one made once for development and
// kept under DATA_DIR. Self-signed is fine for MX: senders encrypt
// opportunistically and do not check the name (RFC 7435), unless the domain
// publishes MTA-STS or DANE, which needs a real certificate anyway.
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export type TlsCredentials = { key: string; cert: string };

export async function loadTlsCredentials(options: {
  certFile: string | undefined;
  keyFile: string | undefined;
  dataDir: string;
  hostname: string;
}): Promise<TlsCredentials & { selfSigned: boolean }> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile)
      throw new Error("set both TLS_CERT_FILE and TLS_KEY_FILE");
    const [cert, key] = await Promise.all([
      readFile(options.certFile, "utf8"),
      readFile(options.keyFile, "utf8"),
    ]);
    return { cert, key, selfSigned: false };
  }
  const dir = path.join(path.resolve(options.dataDir), "tls");
  const certFile = path.join(dir, "self-signed-cert.pem");
  const keyFile = path.join(dir, "self-signed-key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const [cert, key] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
    if (new X509Certificate(cert).subject === `CN=${options.hostname}`)
      return { cert, key, selfSigned: true };
  }
  const made = createSelfSignedCertificate(options.hostname);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, made.key, { mode: 0o600 });
  await writeFile(certFile, made.cert);
  return { ...made, selfSigned: true };
}

/**
 * A self-signed X.509 v3 certificate (RFC 5280) for `hostname` with a P-256
 * key, valid for ten years, encoded by hand in DER so that no certificate
 * library (node-forge) or openssl binary is needed.
 */
export function createSelfSignedCertificate(hostname: string, now = new Date()): TlsCredentials {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(hostname, "utf8")))));
  const notAfter = new Date(now.getTime() + 10 * 365 * 24 * 60 * 60 * 1000);
  const serial = randomBytes(16);
  // A positive INTEGER (RFC 5280 §4.1.2.2) in minimal DER: top bit clear, first byte not zero.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const subjectAltName = seq(
    oid("2.5.29.17"),
    tlv(0x04, seq(tlv(0x82, Buffer.from(hostname, "ascii")))), // dNSName [2] IMPLICIT IA5String
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now.getTime() - 60_000)), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, seq(subjectAltName)),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value, as X.509 wants
  const certificate = seq(
    tbs,
    ecdsaWithSha256,
    tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
  );
  const cert = pem("CERTIFICATE", certificate);
  const key = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { cert, key };
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2)))
    : tlv(0x18, Buffer.from(iso));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
