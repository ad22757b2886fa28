import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/app/_server/admin";
import { SignOutButton } from "@/app/_components/sign-out-button";
import "./admin.css";

export const metadata: Metadata = { title: { default: "Admin", template: "%s · Admin" } };

const SECTIONS = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/domains", label: "Domains" },
  { href: "/admin/aliases", label: "Aliases & lists" },
  { href: "/admin/queue", label: "Outbound queue" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/settings", label: "Settings" },
  { href: "/admin/security", label: "Security" },
  { href: "/admin/spam", label: "Spam" },
  { href: "/admin/invites", label: "Invites" },
] as const;

// The navigation frame only; every page and action below checks the role
// again itself (requireAdmin), because a layout does not guard its pages.
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const admin = await requireAdmin();
  return (
    <div className="admin-shell">
      <header className="admin-header">
        <strong>Mail admin</strong>
        <span className="admin-who">{admin.address}</span>
        <Link href="/mail">Mail</Link>
        <SignOutButton />
      </header>
      <nav className="admin-nav" aria-label="Admin sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.href}>
              <Link href={s.href}>{s.label}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main className="admin-main">{children}</main>
    </div>
  );
}
