import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { authenticate } from "@/lib/accounts/authenticate";
import { isUserError } from "@/lib/errors";
import { isStorableText } from "@/lib/validation/storable-text";
import { CLIENT_IP_HEADER } from "./client-ip";

declare module "next-auth" {
  interface User {
    sessionVersion: number;
  }
  interface Session {
    accountId: string;
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    accountId?: string;
    sessionVersion?: number;
  }
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
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
        try {
          const account = await authenticate(address, password, { ip, protocol: "web" });
          return {
            id: account.id,
            email: account.address,
            name: account.displayName,
            sessionVersion: account.sessionVersion,
          };
        } catch (error) {
          // next-auth passes the message to the sign-in form as `error`.
          if (isUserError(error)) throw new Error(error.message);
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.accountId = user.id;
        token.sessionVersion = user.sessionVersion;
      }
      return token;
    },
    async session({ session, token }) {
      session.accountId = token.accountId ?? "";
      session.sessionVersion = token.sessionVersion ?? -1;
      return session;
    },
  },
};
