"use client";

import { StepError, useSignInStep } from "../sign-in-step";

export function VerifyForm() {
  const { error, pending, onSubmit } = useSignInStep(
    "second-step",
    (form) => ({ code: String(form.get("code") ?? "") }),
    "Verification failed. Try again.",
  );

  return (
    <form onSubmit={onSubmit} noValidate>
      <StepError error={error} />
      <div className="field">
        <label htmlFor="code">Code</label>
        <input
          id="code"
          name="code"
          type="text"
          inputMode="text"
          autoComplete="one-time-code"
          aria-describedby="code-hint"
          required
          autoFocus
        />
        <span className="hint" id="code-hint">
          The 6-digit code from your authenticator app, or one of your recovery codes.
        </span>
      </div>
      <button className="button wide" type="submit" disabled={pending}>
        {pending ? "Checking…" : "Verify"}
      </button>
    </form>
  );
}
