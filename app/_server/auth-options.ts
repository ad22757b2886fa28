import "server-only";
import type { NextAuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Provider } from "next-auth/providers/index";
import { authenticate, type AuthenticatedAccount } from "@/lib/accounts/authenticate";
import { accountForOidcLogin, oidcProviderId } from "@/lib/accounts/oidc-sign-in";
import { loadConfig, type OidcProviderConfig } from "@/lib/config";
import { createWebSession, endWebSession } from "@/lib/accounts/web-sessions";
import { isUserError } from "@/lib/errors";
import { isStorableText } from "@/lib/validation/storable-text";
import { CLIENT_IP_HEADER } from "./client-ip";
import { checkSession } from "./session-check";

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

/** The next-auth user of a sign-in, naming the server-side session the JWT will carry (sign-out deletes it). */
async function sessionUser(
  account: AuthenticatedAccount,
  client: { ip: string; userAgent: string },
): Promise<User> {
  const sessionId = await createWebSession(account.id, client);
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
        return sessionUser(account, { ip: "unknown", userAgent: "" });
      } catch (error) {
        if (isUserError(error)) console.warn(`web: single sign-on refused: ${error.message}`);
        throw error;
      }
    },
  };
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
        const ip = headerValue(req?.headers, CLIENT_IP_HEADER) ?? "unknown";
        const userAgent = headerValue(req?.headers, "user-agent") ?? "";
        try {
          const account = await authenticate(address, password, {
            ip,
            protocol: "web",
            userAgent,
          });
          return sessionUser(account, { ip, userAgent });
        } catch (error) {
          // next-auth passes the message to the sign-in form as `error`.
          if (isUserError(error)) throw new Error(error.message);
          throw error;
        }
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
