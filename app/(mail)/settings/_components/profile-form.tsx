"use client";

import { saveProfileAction } from "../actions";
import { Field, FormStatus, SaveButton, useSettingsForm } from "./form-parts";

export function ProfileForm({
  displayName,
  signature,
}: {
  displayName: string;
  signature: string;
}) {
  const { state, pending, onSubmit, errors } = useSettingsForm(saveProfileAction);
  return (
    <form onSubmit={onSubmit} noValidate>
      <FormStatus state={state} />
      <Field
        name="displayName"
        label="Display name"
        autoComplete="name"
        defaultValue={displayName}
        hint="Shown to the people you write to, next to your address."
        errors={errors}
      />
      <Field
        name="signature"
        label="Signature"
        rows={5}
        defaultValue={signature}
        hint="Plain text, added below new messages and replies."
        errors={errors}
      />
      <SaveButton pending={pending}>Save profile</SaveButton>
    </form>
  );
}
