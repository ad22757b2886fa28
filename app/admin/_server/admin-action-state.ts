// What an admin server action returns to its form (app/admin/_components/action-form.tsx).
export type AdminActionState = { error?: string; notice?: string };
