"use server";

// Admin changes to accounts. Each action checks the admin role first
// (requireAdmin: 403 for others), parses its form with zod, makes one lib
// call and records it in the audit log. Next.js refuses server actions
// whose Origin is not this site: that is their CSRF protection.
import { redirect } from "next/navigation";
import { z } from "zod";
import { createAccount } from "@/lib/accounts/create-account";
import { localPartProblem, splitAddress } from "@/lib/accounts/address";
import {
  deleteAccount,
  Role,
  setAccountDisabled,
  setAccountPassword,
  setAccountQuota,
  setAccountRole,
} from "@/lib/accounts/manage";
import { liftLoginThrottle } from "@/lib/auth/login-throttle";
import { resetTwoStepOf } from "@/lib/auth/two-step-policy";
import { passwordProblem } from "@/lib/auth/password-policy";
import { MAX_DISPLAY_NAME_LENGTH } from "@/lib/config/limits";
import { UserError } from "@/lib/errors";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";

const MIB = 1024n * 1024n;
const address = z.string().trim().toLowerCase().min(3).max(320);

export async function createAccountAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const parts = splitAddress(formText(form, "address"));
    if (!parts) throw new UserError("invalid_input", "Enter a full address, like name@domain.");
    const problem = localPartProblem(parts.localPart);
    if (problem) throw new UserError("invalid_input", problem);
    const password = formText(form, "password");
    const weak = passwordProblem(password, { address: `${parts.localPart}@${parts.domain}` });
    if (weak) throw new UserError("weak_password", weak);
    const displayName = z
      .string()
      .trim()
      .max(MAX_DISPLAY_NAME_LENGTH)
      .parse(formText(form, "displayName"));
    const quotaMib = formText(form, "quotaMib").trim();
    const account = await createAccount({
      ...parts,
      displayName: displayName || parts.localPart,
      password,
      role: form.get("admin") === "on" ? Role.ADMIN : Role.USER,
      quotaBytes: quotaMib
        ? BigInt(z.coerce.number().int().positive().parse(quotaMib)) * MIB
        : undefined,
    });
    await auditAdminAction(admin, "account.create", account.address, { role: account.role });
    return `Created ${account.address}.`;
  });
}

export async function setDisabledAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const target = address.parse(formText(form, "address"));
    const disabled = z.enum(["true", "false"]).parse(formText(form, "disabled")) === "true";
    await setAccountDisabled(target, disabled, admin);
    await auditAdminAction(admin, disabled ? "account.disable" : "account.enable", target);
    return disabled ? `${target} is disabled; its sessions have ended.` : `${target} is enabled.`;
  });
}

export async function setRoleAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const target = address.parse(formText(form, "address"));
    const role = z.enum([Role.ADMIN, Role.USER]).parse(formText(form, "role"));
    await setAccountRole(target, role, admin);
    await auditAdminAction(
      admin,
      role === Role.ADMIN ? "account.promote" : "account.demote",
      target,
    );
    return role === Role.ADMIN ? `${target} is now an admin.` : `${target} is no longer an admin.`;
  });
}

export async function resetPasswordAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const target = address.parse(formText(form, "address"));
    await setAccountPassword(target, formText(form, "password"));
    await auditAdminAction(admin, "account.password_reset", target);
    return `The password of ${target} is changed; its sessions have ended.`;
  });
}

export async function setQuotaAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const target = address.parse(formText(form, "address"));
    const mib = z.coerce
      .number({ error: "Enter the quota in MiB." })
      .int("Enter a whole number of MiB.")
      .positive("Enter a quota above 0.")
      .parse(formText(form, "quotaMib"));
    await setAccountQuota(target, BigInt(mib) * MIB);
    await auditAdminAction(admin, "account.quota", target, { quotaMib: mib });
    return `The quota of ${target} is ${mib} MiB.`;
  });
}

/** Deletes only when the admin typed the account's address again (the confirmation step). */
export async function deleteAccountAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  const result = await runAdminAction("/admin/users", async () => {
    const target = address.parse(formText(form, "address"));
    if (formText(form, "confirm").trim().toLowerCase() !== target) {
      throw new UserError("invalid_input", `Type ${target} to confirm the deletion.`);
    }
    const deleted = await deleteAccount(target, admin);
    await auditAdminAction(admin, "account.delete", deleted.address, {
      messages: deleted.messages,
      freedSources: deleted.freedSources,
    });
    return `Deleted ${deleted.address}.`;
  });
  if (result.error) return result;
  redirect(`/admin/users?deleted=${encodeURIComponent(formText(form, "address").trim())}`);
}

const network = z.string().trim().max(100);

/**
 * Lifts sign-in throttling: of an address from one network or all of them,
 * or of a whole network (no address). The counts start again from nothing.
 */
export async function liftThrottleAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin", async () => {
    const target = {
      address: z.union([address, z.literal("")]).parse(formText(form, "address")),
      network: network.parse(formText(form, "network")),
    };
    if (!target.address && !target.network) {
      throw new UserError("invalid_input", "Name an address or a network.");
    }
    const cleared = await liftLoginThrottle(target);
    if (target.address) {
      await auditAdminAction(admin, "account.unlock", target.address, {
        network: target.network || "all",
        cleared,
      });
    } else {
      await auditAdminAction(admin, "network.unlock", target.network, { cleared });
    }
    const what = target.address
      ? `${target.address}${target.network ? ` from ${target.network}` : ""}`
      : `the network ${target.network}`;
    return cleared ? `Sign-in throttling of ${what} is lifted.` : `${what} was not throttled.`;
  });
}

export async function resetTwoStepAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/users", async () => {
    const { address: target } = await resetTwoStepOf(formText(form, "id"));
    await auditAdminAction(admin, "account.two_step_reset", target);
    return `${target}: second factors removed, two-step verification is off.`;
  });
}
