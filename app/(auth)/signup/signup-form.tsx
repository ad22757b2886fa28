"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useActionState } from "react";
import { signupAction, type SignupState } from "./actions";

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <span className="field-error" id={id} role="alert">
      {message}
    </span>
  ) : null;
}

type Props = {
  domains: string[];
  /** In invite mode: the code from the link, and what is wrong with it if anything. */
  invite?: { code: string; problem: string | undefined };
};

export function SignupForm({ domains, invite }: Props) {
  const router = useRouter();
  // A new account is signed in at once and lands on its Inbox, as at Gmail
  // and Outlook.com: through next-auth's own sign-in, with the password just
  // typed, so the session is made the one way every session is.
  async function signUpAndSignIn(previous: SignupState, form: FormData): Promise<SignupState> {
    const result = await signupAction(previous, form);
    if (!result.created) return result;
    const signedIn = await signIn("credentials", {
      address: result.created,
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    router.replace(
      signedIn?.ok && !signedIn.error
        ? "/mail"
        : `/login?registered=1&address=${encodeURIComponent(result.created)}`,
    );
    router.refresh();
    return result;
  }
  const [state, action, pending] = useActionState<SignupState, FormData>(signUpAndSignIn, {});
  const errors = state.fieldErrors ?? {};
  const values = state.values;
  // The link's verdict on the code stands until the form has been sent.
  const inviteError = state.values ? errors.invite : invite?.problem;
  return (
    <form action={action} noValidate>
      {state.error ? (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      ) : null}
      {invite ? (
        <div className="field">
          <label htmlFor="invite">Invite code</label>
          <input
            id="invite"
            name="invite"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            defaultValue={values?.invite ?? invite.code}
            aria-describedby="invite-error"
            aria-invalid={Boolean(inviteError)}
          />
          <FieldError id="invite-error" message={inviteError} />
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="displayName">Your name</label>
        <input
          id="displayName"
          name="displayName"
          autoComplete="name"
          defaultValue={values?.displayName}
          aria-describedby="displayName-error"
          aria-invalid={Boolean(errors.displayName)}
        />
        <FieldError id="displayName-error" message={errors.displayName} />
      </div>
      <div className="field">
        <label htmlFor="localPart">Address</label>
        <div className="address-input">
          <input
            id="localPart"
            name="localPart"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            defaultValue={values?.localPart}
            aria-describedby="localPart-error"
            aria-invalid={Boolean(errors.localPart)}
          />
          <span aria-hidden="true">@</span>
          {domains.length === 1 ? (
            <>
              <span>{domains[0]}</span>
              <input type="hidden" name="domain" value={domains[0]} />
            </>
          ) : (
            <select name="domain" aria-label="Domain" defaultValue={values?.domain ?? domains[0]}>
              {domains.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          )}
        </div>
        <FieldError id="localPart-error" message={errors.localPart ?? errors.domain} />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          aria-describedby="password-error"
          aria-invalid={Boolean(errors.password)}
        />
        <FieldError id="password-error" message={errors.password} />
      </div>
      <div className="field">
        <label htmlFor="confirm">Confirm password</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          aria-describedby="confirm-error"
          aria-invalid={Boolean(errors.confirm)}
        />
        <FieldError id="confirm-error" message={errors.confirm} />
      </div>
      <button className="button wide" type="submit" disabled={pending}>
        {pending ? "Creating account…" : "Create account"}
      </button>
    </form>
  );
}
