"use client";

import { StepError, useSignInStep } from "./sign-in-step";

export function LoginForm({ defaultAddress }: { defaultAddress: string }) {
  const { error, pending, onSubmit } = useSignInStep(
    "credentials",
    (form) => ({
      address: String(form.get("address") ?? ""),
      password: String(form.get("password") ?? ""),
    }),
    "Sign-in failed. Try again.",
  );

  return (
    <form onSubmit={onSubmit} noValidate>
      <StepError error={error} />
      <div className="field">
        <label htmlFor="address">Address</label>
        <input
          id="address"
          name="address"
          type="email"
          autoComplete="username"
          defaultValue={defaultAddress}
          required
          autoFocus={!defaultAddress}
        />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          autoFocus={Boolean(defaultAddress)}
        />
      </div>
      <button className="button wide" type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
