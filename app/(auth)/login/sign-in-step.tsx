"use client";

import { startAuthentication } from "@simplewebauthn/browser";
import { signIn, type SignInResponse } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { SECOND_STEP_PATH, SECOND_STEP_REQUIRED } from "./steps";

/** A step's answer: on to the mail, to the second step, or the step's error. */
function useStepResult(failure: string) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const router = useRouter();

  function begin() {
    setPending(true);
    setError(null);
  }

  function fail(message: string) {
    setPending(false);
    setError(message);
  }

  function finish(result: SignInResponse | undefined) {
    if (result?.error === SECOND_STEP_REQUIRED) {
      // The password was right; the session waits for the second step.
      router.replace(SECOND_STEP_PATH);
      return;
    }
    if (!result || result.error) {
      fail(result?.error && result.error !== "CredentialsSignin" ? result.error : failure);
      return;
    }
    router.replace("/mail");
    router.refresh();
  }

  return { error, pending, begin, fail, finish };
}

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
  const { error, pending, begin, finish } = useStepResult(failure);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    begin();
    finish(await signIn(provider, { ...read(form), redirect: false }));
  }

  return { error, pending, onSubmit };
}

/**
 * Signs in with a passkey (next-auth provider "passkey"): the options from
 * /api/passkeys/sign-in-options, the browser's prompt, then its answer
 * checked on the server. `purpose` is the second step of a pending sign-in
 * or a passwordless sign-in with a discoverable passkey.
 */
export function usePasskeySignIn(purpose: "second-step" | "passwordless") {
  const { error, pending, begin, fail, finish } = useStepResult("Passkey sign-in failed.");

  async function start() {
    begin();
    const options = await fetch("/api/passkeys/sign-in-options", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ purpose }),
    });
    if (!options.ok) return fail(await options.text());
    let response;
    try {
      response = await startAuthentication({ optionsJSON: await options.json() });
    } catch (cause) {
      // The user closed the prompt, or the browser refused (no passkey, an IP address as site).
      return fail(`No passkey was used: ${(cause as Error).message}`);
    }
    finish(
      await signIn("passkey", { purpose, response: JSON.stringify(response), redirect: false }),
    );
  }

  return { error, pending, start };
}

/** A sign-in step's refusal, announced to screen readers. */
export function StepError({ error }: { error: string | null }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}
