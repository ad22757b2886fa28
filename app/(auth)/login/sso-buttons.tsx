"use client";

import { signIn } from "next-auth/react";

/** One button per domain with an OpenID Connect provider (OIDC_PROVIDERS). */
export function SsoButtons({ providers }: { providers: { id: string; domain: string }[] }) {
  if (providers.length === 0) return null;
  return (
    <div className="sso-buttons">
      {providers.map((p) => (
        <button
          key={p.id}
          type="button"
          className="button quiet wide"
          onClick={() => void signIn(p.id, { callbackUrl: "/mail" })}
        >
          Sign in with {p.domain} single sign-on
        </button>
      ))}
    </div>
  );
}
