// DELETE /api/app-passwords/:id – revokes one of the signed-in account's app
// passwords: it stops working at once and the IMAP/POP3 sessions it opened
// end (lib/auth/app-passwords.ts). 404 for an id the account does not own.
import { revokeAppPassword } from "@/lib/auth/app-passwords";
import { errorResponse, refuseCrossSite, sessionAccountId } from "@/app/_server/mail";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

export async function DELETE(request: Request, { params }: Params) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  try {
    await revokeAppPassword(accountId, (await params).id);
    return new Response(null, { status: 204 });
  } catch (error) {
    return errorResponse(error);
  }
}
