// POST /api/app-passwords – makes an app password for the signed-in account
// from JSON {name}; answers {id, name, password}, the only time the password
// is ever sent (lib/auth/app-passwords.ts keeps its hash). JSON only, so a
// cross-site form cannot post it, and refused from other sites' pages.
import { z } from "zod";
import { createAppPassword, formatAppPassword } from "@/lib/auth/app-passwords";
import { UserError } from "@/lib/errors";
import { errorResponse, readJsonChange } from "@/app/_server/mail";

export const dynamic = "force-dynamic";

const body = z.object({ name: z.string().max(1000) }).strict();

const badRequest = (message: string) => errorResponse(new UserError("invalid_input", message));

export async function POST(request: Request) {
  const read = await readJsonChange(request, "name");
  if (read instanceof Response) return read;
  const input = body.safeParse(read.input);
  if (!input.success) return badRequest("That request was not valid.");
  try {
    const made = await createAppPassword(read.accountId, input.data.name);
    return Response.json(
      { id: made.id, name: made.name, password: formatAppPassword(made.password) },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return errorResponse(error);
  }
}
