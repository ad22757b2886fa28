"use client";

import { StepError, usePasskeySignIn } from "./sign-in-step";

/**
 * "Use a passkey instead" (passwordless) on /login, or "Use a passkey" as
 * the second step. Neither name contains "Sign in": that is the password
 * form's own button, which a screen reader user (and getByRole) finds by name.
 */
export function PasskeyButton({ purpose }: { purpose: "second-step" | "passwordless" }) {
  const { error, pending, start } = usePasskeySignIn(purpose);
  return (
    <div className="passkey-sign-in">
      <StepError error={error} />
      <button
        type="button"
        className="button quiet wide"
        disabled={pending}
        onClick={() => void start()}
      >
        {pending
          ? "Waiting for your passkey…"
          : purpose === "passwordless"
            ? "Use a passkey instead"
            : "Use a passkey"}
      </button>
    </div>
  );
}
