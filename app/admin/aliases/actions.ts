"use server";

// Aliases and lists: each action checks the admin role itself (a layout does
// not guard actions), parses the form with zod, makes one lib call, audits
// it and refreshes the page. Next.js refuses actions from another Origin
// (their CSRF protection).
import { z } from "zod";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "@/app/admin/_server/admin-action-state";
import { runAdminAction } from "@/app/admin/_server/run-admin-action";
import { createAlias, deleteAlias, updateAlias, type AliasSummary } from "@/lib/admin/aliases";
import type { AuthenticatedAccount } from "@/lib/accounts/authenticate";
import { parseAddressList } from "@/lib/mime/address-list";

export type AliasFormState = AdminActionState;

// A pasted list as the composer reads one ("Ann <ann@x>; Bob <bob@y>", a
// line each...); a piece that is no address stays as written, for lib to
// name in its error.
const targetsField = z
  .string()
  .max(200_000)
  .transform((text) => parseAddressList(text).map((a) => a.address || a.text));

const fields = {
  owner: z.string().trim().max(320).default(""),
  membersOnly: z
    .string()
    .optional()
    .transform((v) => v === "on"),
  targets: targetsField,
};
const createSchema = z.object({
  address: z.string().trim().min(1, "Enter the address.").max(320),
  kind: z.enum(["alias", "list"]),
  ...fields,
});
const updateSchema = z.object({ id: z.uuid(), ...fields });
const deleteSchema = z.object({ id: z.uuid() });

function formObject(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") out[key] = value;
  return out;
}

/** Checks the role, then runs the change like every admin form; an error refills the form. */
async function attempt<T>(
  form: FormData,
  schema: z.ZodType<T>,
  work: (input: T, admin: AuthenticatedAccount) => Promise<string>,
): Promise<AliasFormState> {
  const admin = await requireAdmin();
  const values = formObject(form);
  const state = await runAdminAction("/admin/aliases", () => work(schema.parse(values), admin));
  return state.error ? { ...state, values } : state;
}

const auditDetails = (alias: AliasSummary) => ({
  targets: alias.targets,
  owner: alias.owner,
  membersOnly: alias.membersOnly,
});

export async function createAliasAction(_previous: AliasFormState, form: FormData) {
  return attempt(form, createSchema, async (input, admin) => {
    const alias = await createAlias(input);
    await auditAdminAction(admin, `${alias.kind}.create`, alias.address, auditDetails(alias));
    return `Created ${alias.kind} ${alias.address}.`;
  });
}

export async function updateAliasAction(_previous: AliasFormState, form: FormData) {
  return attempt(form, updateSchema, async ({ id, ...input }, admin) => {
    const alias = await updateAlias(id, input);
    await auditAdminAction(admin, `${alias.kind}.update`, alias.address, auditDetails(alias));
    return `Saved ${alias.address}.`;
  });
}

export async function deleteAliasAction(_previous: AliasFormState, form: FormData) {
  return attempt(form, deleteSchema, async ({ id }, admin) => {
    const address = await deleteAlias(id);
    await auditAdminAction(admin, "alias.delete", address);
    return `Deleted ${address}.`;
  });
}
