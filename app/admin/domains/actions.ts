"use server";

// Admin changes to hosted domains: each checks the admin role first, parses
// its form, makes one lib call and is audited.
import { z } from "zod";
import { rotateDkimKey } from "@/lib/dkim/keys";
import {
  addHostedDomain,
  removeHostedDomain,
  setDomainCatchAll,
  setDomainSignup,
} from "@/lib/accounts/manage-domains";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";

const domainName = z.string().trim().toLowerCase().min(1, "Enter a domain name.").max(253);

export async function addDomainAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/domains", async () => {
    const { name } = await addHostedDomain(domainName.parse(formText(form, "domain")), {
      signupEnabled: form.get("signupEnabled") === "on",
    });
    await auditAdminAction(admin, "domain.create", name);
    return `${name} is hosted; publish its DNS records below.`;
  });
}

export async function setDomainSignupAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/domains", async () => {
    const name = domainName.parse(formText(form, "domain"));
    const enabled = z.enum(["true", "false"]).parse(formText(form, "signupEnabled")) === "true";
    await setDomainSignup(name, enabled);
    await auditAdminAction(admin, enabled ? "domain.signup_on" : "domain.signup_off", name);
    return enabled ? `Signup is on for ${name}.` : `Signup is off for ${name}.`;
  });
}

export async function setCatchAllAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/domains", async () => {
    const name = domainName.parse(formText(form, "domain"));
    const target = z.string().trim().max(320).parse(formText(form, "catchAll"));
    await setDomainCatchAll(name, target || null);
    await auditAdminAction(admin, "domain.catch_all", name, { target: target || null });
    return target
      ? `Unknown addresses at ${name} now reach ${target}.`
      : `No catch-all for ${name}.`;
  });
}

export async function rotateDkimAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/domains", async () => {
    const name = domainName.parse(formText(form, "domain"));
    const key = await rotateDkimKey(name);
    await auditAdminAction(admin, "domain.dkim_rotate", name, { selector: key.selector });
    return `New DKIM key for ${name} (selector ${key.selector}): publish its record.`;
  });
}

export async function removeDomainAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/domains", async () => {
    const name = domainName.parse(formText(form, "domain"));
    await removeHostedDomain(name);
    await auditAdminAction(admin, "domain.remove", name);
    return `${name} is no longer hosted.`;
  });
}
