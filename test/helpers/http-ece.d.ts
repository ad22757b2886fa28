// http_ece (a dependency of web-push) has no types: the one call the Web
// Push test makes to decrypt what the server sent (RFC 8188 / RFC 8291).
declare module "http_ece" {
  import type { ECDH } from "node:crypto";
  const ece: {
    decrypt(
      buffer: Buffer,
      params: { version: "aes128gcm"; privateKey: ECDH; authSecret: string },
    ): Buffer;
  };
  export default ece;
}
