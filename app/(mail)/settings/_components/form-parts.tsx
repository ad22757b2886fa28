"use client";

import { useRouter } from "next/navigation";
import {
  useState,
  useTransition,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
} from "react";
import type { SettingsFormState } from "../actions";

/** A field's error under it, announced to screen readers. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <span className="field-error" id={id} role="alert">
      {message}
    </span>
  ) : null;
}

/** The form-wide outcome: saved, or an error that belongs to no one field. */
export function FormStatus({ state }: { state: SettingsFormState }) {
  if (state.error)
    return (
      <p className="form-error" role="alert">
        {state.error}
      </p>
    );
  if (state.ok && state.message)
    return (
      <p className="form-notice" role="status">
        {state.message}
      </p>
    );
  return null;
}

/**
 * Submits a form to a server action without React's form reset (the user's
 * input stays on screen, also when a field is refused), then refreshes the
 * page's server data. `after` runs on success before the refresh.
 */
export function useSettingsForm(
  action: (form: FormData) => Promise<SettingsFormState>,
  options: {
    prepare?: (form: FormData) => void;
    after?: (form: FormData, state: SettingsFormState) => Promise<SettingsFormState>;
  } = {},
) {
  const [state, setState] = useState<SettingsFormState>({});
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    options.prepare?.(form);
    startTransition(async () => {
      let result = await action(form);
      if (result.ok && options.after) result = await options.after(form, result);
      setState(result);
      if (result.ok) router.refresh();
    });
  };
  return { state, pending, onSubmit, errors: state.fieldErrors ?? {} };
}

export function SaveButton({ pending, children }: { pending: boolean; children: ReactNode }) {
  return (
    <button className="button" type="submit" disabled={pending}>
      {pending ? "Saving…" : children}
    </button>
  );
}

type FieldProps = {
  name: string;
  label: string;
  errors: Record<string, string>;
  hint?: string;
  /** A textarea of this many rows instead of an input. */
  rows?: number;
  defaultValue?: string | number;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "defaultValue">;

/** A labelled input (or textarea) with its hint and its error, wired for screen readers. */
export function Field({ name, label, errors, hint, rows, defaultValue, ...input }: FieldProps) {
  const describedBy = [`${name}-error`, hint ? `${name}-hint` : ""].join(" ").trim();
  const common = {
    id: name,
    name,
    defaultValue,
    "aria-describedby": describedBy,
    "aria-invalid": Boolean(errors[name]),
  };
  return (
    <div className={input.type === "number" ? "field narrow" : "field"}>
      <label htmlFor={name}>{label}</label>
      {rows ? <textarea rows={rows} {...common} /> : <input {...input} {...common} />}
      {hint ? (
        <span className="hint" id={`${name}-hint`}>
          {hint}
        </span>
      ) : null}
      <FieldError id={`${name}-error`} message={errors[name]} />
    </div>
  );
}
