import "server-only";
import { UserError } from "@/lib/errors";
import { errorResponse, refuseCrossSite, sessionAccountId } from "./mail";

/**
 * The opening of a JSON mutation route: the signed-in account (else 401),
 * same-origin (else 403), a JSON body (else 400; JSON only, so a cross-site
 * HTML form cannot send it without a CORS preflight). Returns the account
 * and the parsed body, or the Response to answer.
 */
export async function readJsonMutation(
  request: Request,
): Promise<{ accountId: string; body: unknown } | Response> {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return errorResponse(new UserError("invalid_input", "Send the request as application/json."));
  }
  try {
    return { accountId, body: (await request.json()) as unknown };
  } catch {
    return errorResponse(new UserError("invalid_input", "That request was not valid JSON."));
  }
}
