import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Provider } from "next-auth/providers/index";
import { authenticate, type AuthenticatedAccount } from "@/lib/accounts/authenticate";
import { accountForOidcLogin, oidcProviderId } from "@/lib/accounts/oidc-sign-in";
import {
  beginPendingSignIn,
  completeSignInWithCode,
  completeSignInWithPasskey,
  type PendingSignInRef,
} from "@/lib/accounts/pending-sign-in";
import { verifyPasskeySignIn } from "@/lib/accounts/passkeys";
import { loadConfig, type OidcProviderConfig } from "@/lib/config";
import { createWebSession, endWebSession } from "@/lib/accounts/web-sessions";
import { twoStepEnabledFor } from "@/lib/auth/two-step";
import { isUserError } from "@/lib/errors";
import { isStorableText } from "@/lib/validation/storable-text";
import { SECOND_STEP_REQUIRED } from "@/app/(auth)/login/steps";
import { CLIENT_IP_HEADER } from "./client-ip";
import { checkSession } from "./session-check";
import { noteSignInDevice } from "@/lib/accounts/known-devices";
import { siteUrl } from "./site-url";
import { currentRelyingParty } from "./relying-party";
import {
  browserDeviceToken,
  clearPendingSignInCookie,
  pendingSignInFromCookie,
  setPendingSignInCookie,
} from "./pending-sign-in";

declare module "next-auth" {
  interface User {
    sessionVersion: number;
    sessionId: string;
  }
  interface Session {
    accountId: string;
    sessionVersion: number;
    sessionId: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    accountId?: string;
    sessionVersion?: number;
    /** The WebSession row that makes this token valid (lib/accounts/web-sessions.ts). */
    sessionId?: string;
  }
}

/** Thrown by the jwt callback for a token whose session has ended: next-auth then clears the cookie. */
class SessionEndedError extends Error {
  constructor() {
    super("The session has ended.");
    this.name = "SessionEndedError";
  }
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

type Client = { ip: string; userAgent: string };

function clientOf(req: { headers?: unknown } | undefined): Client {
  return {
    ip: headerValue(req?.headers, CLIENT_IP_HEADER) ?? "unknown",
    userAgent: headerValue(req?.headers, "user-agent") ?? "",
  };
}

/** A sign-in that passed every step: its server-side session, and the user next-auth puts in the JWT. */
async function startSession(account: AuthenticatedAccount, client: Client) {
  // The server-side session the JWT will name; sign-out deletes it.
  const sessionId = await createWebSession(account.id, client);
  // A browser new to the account gets the user a notice in their Inbox.
  await noteSignInDevice(account, {
    ...client,
    token: await browserDeviceToken(),
    securityUrl: `${await siteUrl()}/settings/security`,
  });
  return {
    id: account.id,
    email: account.address,
    name: account.displayName,
    sessionVersion: account.sessionVersion,
    sessionId,
  };
}

/**
 * A domain's OpenID Connect provider (authorization-code flow with PKCE and
 * state, the ID token's claims checked by openid-client). Its claims name
 * the account through lib/accounts/oidc-sign-in.ts, and the sign-in gets a
 * WebSession like a password sign-in. next-auth gives profile() no request,
 * so the session's address is filled in at its first use.
 */
function oidcProvider(config: OidcProviderConfig): Provider {
  return {
    id: oidcProviderId(config.domain),
    name: config.domain,
    type: "oauth",
    wellKnown: `${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    async profile(claims: Record<string, unknown>) {
      try {
        const account = await accountForOidcLogin(config, claims);
        return startSession(account, { ip: "unknown", userAgent: "" });
      } catch (error) {
        if (isUserError(error)) console.warn(`web: single sign-on refused: ${error.message}`);
        throw error;
      }
    },
  };
}

/**
 * The second step of a pending sign-in: the account comes from the
 * server-side row the signed cookie names, never from the form; `complete`
 * checks the factor and uses the row up.
 */
async function secondStep(
  client: Client,
  complete: (ref: PendingSignInRef) => Promise<AuthenticatedAccount>,
) {
  const ref = await pendingSignInFromCookie();
  if (!ref) throw new Error("Your sign-in took too long. Sign in again with your password.");
  const account = await complete(ref);
  await clearPendingSignInCookie();
  return startSession(account, client);
}

/** Runs a sign-in step; a UserError's message goes to the form (next-auth passes it as `error`). */
async function step<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUserError(error)) throw new Error(error.message);
    throw error;
  }
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  secret: process.env.NEXTAUTH_SECRET,
  providers: [
    CredentialsProvider({
      id: "credentials",
      name: "Address and password",
      credentials: {
        address: { label: "Address", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        const address = typeof credentials?.address === "string" ? credentials.address : "";
        const password = typeof credentials?.password === "string" ? credentials.password : "";
        if (!address || !password) throw new Error("Enter your address and password.");
        // No account's address holds a NUL, and the lookup would be a database error.
        if (!isStorableText(address)) throw new Error("Wrong address or password.");
        const client = clientOf(req);
        return step(async () => {
          const account = await authenticate(address, password, { protocol: "web", ...client });
          if (await twoStepEnabledFor(account.id)) {
            // No session yet: the browser gets a signed reference to the
            // pending sign-in and is sent to the second step.
            await setPendingSignInCookie(await beginPendingSignIn(account, client));
            throw new Error(SECOND_STEP_REQUIRED);
          }
          return startSession(account, client);
        });
      },
    }),
    CredentialsProvider({
      id: "second-step",
      name: "Two-step verification",
      credentials: { code: { label: "Code", type: "text" } },
      async authorize(credentials, req) {
        const code = typeof credentials?.code === "string" ? credentials.code.slice(0, 64) : "";
        const client = clientOf(req);
        return step(() => secondStep(client, (ref) => completeSignInWithCode(ref, code, client)));
      },
    }),
    CredentialsProvider({
      id: "passkey",
      name: "Passkey",
      credentials: {
        purpose: { label: "Purpose", type: "text" },
        response: { label: "Passkey answer", type: "text" },
      },
      async authorize(credentials, req) {
        const purpose = credentials?.purpose === "second-step" ? "second-step" : "passwordless";
        const raw = typeof credentials?.response === "string" ? credentials.response : "";
        const client = clientOf(req);
        return step(async () => {
          let response: unknown;
          try {
            response = JSON.parse(raw.slice(0, 64_000));
          } catch {
            throw new Error("Passkey refused: the browser's answer was not valid.");
          }
          const rp = await currentRelyingParty();
          if (purpose === "passwordless") {
            const account = await verifyPasskeySignIn(rp, response, { purpose }, client);
            return startSession(account, client);
          }
          return secondStep(client, (ref) => completeSignInWithPasskey(ref, rp, response, client));
        });
      },
    }),
    ...loadConfig().oidcProviders.map(oidcProvider),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.accountId = user.id;
        token.sessionVersion = user.sessionVersion;
        token.sessionId = user.sessionId;
        return token;
      }
      // Every other use of the token (getServerSession, /api/auth/session)
      // checks its session row: a token from before sign-out is refused.
      const live =
        token.accountId && token.sessionId
          ? await checkSession(token.accountId, token.sessionId, token.sessionVersion ?? -1)
          : null;
      if (!live) throw new SessionEndedError();
      return token;
    },
    async session({ session, token }) {
      session.accountId = token.accountId ?? "";
      session.sessionVersion = token.sessionVersion ?? -1;
      session.sessionId = token.sessionId ?? "";
      return session;
    },
  },
  events: {
    // POST /api/auth/signout (the Sign out button): the session ends on the
    // server, not only in this browser's cookie jar.
    async signOut({ token }) {
      if (token?.accountId && token.sessionId) {
        await endWebSession(token.accountId, token.sessionId);
      }
    },
  },
  logger: {
    error(code, metadata) {
      // An ended session is an expected answer, not a server fault.
      if (metadata instanceof SessionEndedError) return;
      console.error(`[next-auth][error][${code}]`, metadata);
    },
  },
};
