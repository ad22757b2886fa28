// Where the webmail serves an upload back to its owner (app/api/compose/
// uploads/[id]/route.ts): the editor shows inline images from it, and
// buildMessage turns exactly these URLs into cid: references.
export const UPLOAD_URL_PREFIX = "/api/compose/uploads/";

export function uploadUrl(id: string): string {
  return `${UPLOAD_URL_PREFIX}${id}`;
}
