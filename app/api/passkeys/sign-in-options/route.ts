// POST /api/passkeys/sign-in-options – the options for the browser's
// navigator.credentials.get, from JSON {purpose}: "second-step" lists the
// passkeys of the pending sign-in this browser's signed cookie names (401
// without one), "passwordless" lists none, so the authenticator offers its
// discoverable passkeys. The challenge is stored for one use
// (lib/accounts/passkeys.ts). Same-origin only; no session needed.
import { z } from "zod";
import { startPasskeySignIn } from "@/lib/accounts/passkeys";
import { getPendingSignIn } from "@/lib/accounts/pending-sign-in";
import { UserError } from "@/lib/errors";
import { errorResponse, refuseCrossSite } from "@/app/_server/mail";
import { pendingSignInFromCookie } from "@/app/_server/pending-sign-in";
import { currentRelyingParty } from "@/app/_server/relying-party";

export const dynamic = "force-dynamic";

const body = z.object({ purpose: z.enum(["second-step", "passwordless"]) }).strict();

export async function POST(request: Request) {
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  let input;
  try {
    input = body.safeParse(await request.json());
  } catch {
    input = null;
  }
  if (!input?.success) {
    return errorResponse(new UserError("invalid_input", "That request was not valid."));
  }
  try {
    const rp = await currentRelyingParty();
    if (input.data.purpose === "passwordless") {
      return Response.json(await startPasskeySignIn(rp, { purpose: "passwordless" }), {
        headers: { "cache-control": "no-store" },
      });
    }
    const ref = await pendingSignInFromCookie();
    const pending = ref ? await getPendingSignIn(ref) : null;
    if (!pending) return new Response("Sign in with your password first.", { status: 401 });
    const options = await startPasskeySignIn(rp, {
      purpose: "second-step",
      accountId: pending.account.id,
    });
    return Response.json(options, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}
