// URLs of the mail page: folder, search and open message live in the query
// string, so every view can be linked, reloaded and navigated with Back.
export type MailLocation = { folder?: string | null; q?: string | null; m?: string | null };

export function mailHref({ folder, q, m }: MailLocation): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  else if (folder) params.set("folder", folder);
  if (m) params.set("m", m);
  const query = params.toString();
  return query ? `/mail?${query}` : "/mail";
}
