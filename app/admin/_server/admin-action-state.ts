// What an admin server action returns to its form (app/admin/_components/action-form.tsx).
export type AdminActionState = {
  error?: string;
  notice?: string;
  /** The form field the error belongs to, when there is one. */
  field?: string;
  /** What was submitted, for forms that refill themselves after an error. */
  values?: Record<string, string>;
};
