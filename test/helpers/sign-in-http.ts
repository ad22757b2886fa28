// The POST the sign-in form makes (next-auth's credentials callback, with
// its CSRF token and cookie), as plain HTTP: for tests that set headers a
// browser would not, or send many at once as a script would.
export async function postSignIn(
  baseUrl: string,
  credentials: { address: string; password: string },
  headers: Record<string, string> = {},
): Promise<Response> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
    body: new URLSearchParams({ csrfToken, ...credentials, json: "true" }),
  });
}
