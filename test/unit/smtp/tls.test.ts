import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createSecureContext } from "node:tls";
import { createSelfSignedCertificate, loadTlsCredentials } from "../../../mail-gateway/smtp/tls.ts";

test("self-signed certificates are valid DER every time (random serials included)", () => {
  // A serial starting with a zero byte is invalid DER and OpenSSL refuses the
  // whole certificate: a few hundred tries make such a slip show.
  for (let i = 0; i < 300; i++) {
    const { cert, key } = createSelfSignedCertificate("mx.mail.test");
    createSecureContext({ cert, key });
    const x509 = new X509Certificate(cert);
    assert.ok(x509.verify(x509.publicKey));
  }
  const x509 = new X509Certificate(createSelfSignedCertificate("mx.mail.test").cert);
  assert.equal(x509.subject, "CN=mx.mail.test");
  assert.equal(x509.subjectAltName, "DNS:mx.mail.test");
  assert.equal(x509.checkHost("mx.mail.test"), "mx.mail.test");
  assert.ok(new Date(x509.validTo).getTime() > Date.now() + 9 * 365 * 24 * 3600 * 1000);
});

test("the development certificate is made once under DATA_DIR and reused", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "mail-tls-"));
  try {
    const first = await loadTlsCredentials({
      certFile: undefined,
      keyFile: undefined,
      dataDir,
      hostname: "mx.mail.test",
    });
    const second = await loadTlsCredentials({
      certFile: undefined,
      keyFile: undefined,
      dataDir,
      hostname: "mx.mail.test",
    });
    assert.equal(first.selfSigned, true);
    assert.equal(second.cert, first.cert);
    assert.equal(
      (await stat(path.join(dataDir, "tls", "self-signed-key.pem"))).mode & 0o777,
      0o600,
    );
    // A new host name gets a new certificate.
    const renamed = await loadTlsCredentials({
      certFile: undefined,
      keyFile: undefined,
      dataDir,
      hostname: "mx2.mail.test",
    });
    assert.notEqual(renamed.cert, first.cert);
    await assert.rejects(
      loadTlsCredentials({
        certFile: "/nonexistent.pem",
        keyFile: undefined,
        dataDir,
        hostname: "x",
      }),
      /both TLS_CERT_FILE and TLS_KEY_FILE/,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
