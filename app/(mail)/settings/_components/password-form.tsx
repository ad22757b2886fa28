"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useRef } from "react";
import { SECOND_STEP_PATH, SECOND_STEP_REQUIRED } from "@/app/(auth)/login/steps";
import { changePasswordAction } from "../actions";
import { Field, FormStatus, SaveButton, useSettingsForm } from "./form-parts";

/**
 * Changing the password ends every session of the account, this one too
 * (sessionVersion); the form then signs in again with the new password, so
 * the user stays signed in here and only other browsers are signed out.
 */
export function PasswordForm({ address }: { address: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const router = useRouter();
  const { state, pending, onSubmit, errors } = useSettingsForm(changePasswordAction, {
    after: async (form, result) => {
      const signedIn = await signIn("credentials", {
        address,
        password: String(form.get("newPassword") ?? ""),
        redirect: false,
      });
      if (signedIn?.error === SECOND_STEP_REQUIRED) {
        // Two-step is on: this browser signs in again with a code too.
        router.push(SECOND_STEP_PATH);
        return { error: "Password changed. Enter a code to sign in again." };
      }
      if (!signedIn || signedIn.error) {
        router.push(`/login?address=${encodeURIComponent(address)}`);
        return { error: "Password changed. Sign in again with the new password." };
      }
      formRef.current?.reset();
      return result;
    },
  });
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <FormStatus state={state} />
      <input type="hidden" name="username" autoComplete="username" value={address} readOnly />
      <Field
        name="currentPassword"
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        errors={errors}
      />
      <Field
        name="newPassword"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        minLength={10}
        errors={errors}
      />
      <Field
        name="confirmPassword"
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        required
        errors={errors}
      />
      <SaveButton pending={pending}>Change password</SaveButton>
    </form>
  );
}
