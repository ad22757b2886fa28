"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { SECOND_STEP_PATH, SECOND_STEP_REQUIRED } from "./steps";

/**
 * Submits a sign-in step (next-auth credentials provider `provider`) with
 * the fields `read` takes from the form: on to the mail on success, to the
 * second step when the password step says so, else the step's error.
 */
export function useSignInStep(
  provider: "credentials" | "second-step",
  read: (form: FormData) => Record<string, string>,
  failure: string,
) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const router = useRouter();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn(provider, { ...read(form), redirect: false });
    if (result?.error === SECOND_STEP_REQUIRED) {
      // The password was right; the session waits for the second step.
      router.replace(SECOND_STEP_PATH);
      return;
    }
    if (!result || result.error) {
      setPending(false);
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : failure);
      return;
    }
    router.replace("/mail");
    router.refresh();
  }

  return { error, pending, onSubmit };
}

/** A sign-in step's refusal, announced to screen readers. */
export function StepError({ error }: { error: string | null }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}
