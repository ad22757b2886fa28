// POST /api/passkeys – adds a passkey to the signed-in account from JSON
// {name, passwordless, response} (the browser's answer to the registration
// options); answers {id, name, recoveryCodes}, the codes only when this
// passkey turned two-step on (lib/accounts/passkeys.ts). JSON only and
// same-origin only.
import { z } from "zod";
import { finishPasskeyRegistration } from "@/lib/accounts/passkeys";
import { UserError } from "@/lib/errors";
import { errorResponse, readJsonChange } from "@/app/_server/mail";
import { currentRelyingParty } from "@/app/_server/relying-party";

export const dynamic = "force-dynamic";

const body = z
  .object({ name: z.string().max(1000), passwordless: z.boolean(), response: z.unknown() })
  .strict();

export async function POST(request: Request) {
  const read = await readJsonChange(request, "passkey");
  if (read instanceof Response) return read;
  const input = body.safeParse(read.input);
  if (!input.success) {
    return errorResponse(new UserError("invalid_input", "That request was not valid."));
  }
  try {
    const added = await finishPasskeyRegistration(
      read.accountId,
      await currentRelyingParty(),
      input.data,
    );
    return Response.json(
      { id: added.passkey.id, name: added.passkey.name, recoveryCodes: added.recoveryCodes },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return errorResponse(error);
  }
}
