// GET /api/push – the service's VAPID public key, for pushManager.subscribe.
// POST /api/push – save this browser's push subscription for the account.
// DELETE /api/push – forget it ({ endpoint }).
import { z } from "zod";
import { getVapidKeys } from "@/lib/push/vapid";
import { deletePushSubscription, savePushSubscription } from "@/lib/push/subscriptions";
import { errorResponse, refuseCrossSite, sessionAccountId } from "@/app/_server/mail";

export const dynamic = "force-dynamic";

const unauthorized = () => new Response("Sign in first.", { status: 401 });

export async function GET(): Promise<Response> {
  if (!(await sessionAccountId())) return unauthorized();
  return Response.json({ publicKey: (await getVapidKeys()).publicKey });
}

export async function POST(request: Request): Promise<Response> {
  const refused = refuseCrossSite(request);
  if (refused) return refused;
  const accountId = await sessionAccountId();
  if (!accountId) return unauthorized();
  try {
    await savePushSubscription(accountId, await request.json().catch(() => null));
    return new Response(null, { status: 204 });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function DELETE(request: Request): Promise<Response> {
  const refused = refuseCrossSite(request);
  if (refused) return refused;
  const accountId = await sessionAccountId();
  if (!accountId) return unauthorized();
  const body = z
    .object({ endpoint: z.string().max(2048) })
    .safeParse(await request.json().catch(() => null));
  if (!body.success) return new Response("Send { endpoint }.", { status: 400 });
  await deletePushSubscription(accountId, body.data.endpoint);
  return new Response(null, { status: 204 });
}
