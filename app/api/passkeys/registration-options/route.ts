// POST /api/passkeys/registration-options – the options for the browser's
// navigator.credentials.create to add a passkey to the signed-in account,
// from JSON {passwordless}; the challenge is stored for one use
// (lib/accounts/passkeys.ts). JSON only and same-origin only.
import { z } from "zod";
import { startPasskeyRegistration } from "@/lib/accounts/passkeys";
import { UserError } from "@/lib/errors";
import { errorResponse, readJsonChange } from "@/app/_server/mail";
import { currentRelyingParty } from "@/app/_server/relying-party";

export const dynamic = "force-dynamic";

const body = z.object({ passwordless: z.boolean() }).strict();

export async function POST(request: Request) {
  const read = await readJsonChange(request, "choice");
  if (read instanceof Response) return read;
  const input = body.safeParse(read.input);
  if (!input.success) {
    return errorResponse(new UserError("invalid_input", "That request was not valid."));
  }
  try {
    const options = await startPasskeyRegistration(
      read.accountId,
      await currentRelyingParty(),
      input.data,
    );
    return Response.json(options, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}
