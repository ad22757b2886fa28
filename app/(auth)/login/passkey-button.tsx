"use client";

import { StepError, usePasskeySignIn } from "./sign-in-step";

/** "Sign in with a passkey" (passwordless) on /login, or "Use a passkey" as the second step. */
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
            ? "Sign in with a passkey"
            : "Use a passkey"}
      </button>
    </div>
  );
}
