"use server";

import { signUp } from "@/lib/accounts/signup";
import { isUserError } from "@/lib/errors";
import { getClientIp } from "@/app/_server/client-ip";

export type SignupState = {
  error?: string;
  fieldErrors?: Partial<
    Record<"localPart" | "domain" | "displayName" | "password" | "confirm" | "invite", string>
  >;
  values?: { localPart: string; domain: string; displayName: string; invite: string };
  /** The new account's address: the form signs in with it and the password typed. */
  created?: string;
};

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export async function signupAction(_previous: SignupState, form: FormData): Promise<SignupState> {
  const values = {
    localPart: text(form, "localPart").slice(0, 200),
    domain: text(form, "domain").slice(0, 253),
    displayName: text(form, "displayName").slice(0, 200),
    invite: text(form, "invite").slice(0, 200),
  };
  const password = text(form, "password");
  if (password !== text(form, "confirm")) {
    return { values, fieldErrors: { confirm: "The passwords do not match." } };
  }
  try {
    const account = await signUp({ ...values, password }, { ip: await getClientIp() });
    return { created: account.address };
  } catch (error) {
    if (!isUserError(error)) throw error;
    const field = error.field as keyof NonNullable<SignupState["fieldErrors"]> | undefined;
    return field
      ? { values, fieldErrors: { [field]: error.message } }
      : { values, error: error.message };
  }
}
