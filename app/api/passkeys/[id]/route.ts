// PATCH /api/passkeys/:id – renames one of the signed-in account's passkeys
// from JSON {name}. DELETE /api/passkeys/:id – removes it, given JSON
// {password} or {code} (a current code from the app or a recovery code);
// the last second factor removed turns two-step off. 404 for an id the
// account does not own (lib/accounts/passkeys.ts). JSON and same-origin only.
import { headers } from "next/headers";
import { z } from "zod";
import { removePasskey, renamePasskey } from "@/lib/accounts/passkeys";
import { UserError } from "@/lib/errors";
import { errorResponse, readJsonChange } from "@/app/_server/mail";
import { getClientIp } from "@/app/_server/client-ip";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

const renameBody = z.object({ name: z.string().max(1000) }).strict();
const removeBody = z
  .object({ password: z.string().max(1000).optional(), code: z.string().max(64).optional() })
  .strict();

const invalid = () => errorResponse(new UserError("invalid_input", "That request was not valid."));

export async function PATCH(request: Request, { params }: Params) {
  const read = await readJsonChange(request, "name");
  if (read instanceof Response) return read;
  const input = renameBody.safeParse(read.input);
  if (!input.success) return invalid();
  try {
    await renamePasskey(read.accountId, (await params).id, input.data.name);
    return new Response(null, { status: 204 });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function DELETE(request: Request, { params }: Params) {
  const read = await readJsonChange(request, "password or code");
  if (read instanceof Response) return read;
  const input = removeBody.safeParse(read.input);
  if (!input.success) return invalid();
  try {
    const client = {
      ip: await getClientIp(),
      userAgent: (await headers()).get("user-agent") ?? "",
    };
    const removed = await removePasskey(read.accountId, (await params).id, input.data, client);
    return Response.json(removed);
  } catch (error) {
    return errorResponse(error);
  }
}
