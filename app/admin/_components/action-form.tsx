"use client";

// A form posting to an admin server action, showing the action's outcome
// (an error or a notice) beside it. `confirm` asks before submitting; the
// server still checks anything that must be confirmed.
import { useActionState } from "react";
import type { AdminActionState } from "../_server/admin-action-state";

type Props = {
  action: (previous: AdminActionState, form: FormData) => Promise<AdminActionState>;
  children: React.ReactNode;
  confirm?: string;
  className?: string;
  "aria-label"?: string;
};

export function ActionForm({ action, children, confirm, className, ...rest }: Props) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form
      action={formAction}
      className={className ?? "admin-form"}
      aria-label={rest["aria-label"]}
      aria-busy={pending}
      onSubmit={(event) => {
        if (confirm && !window.confirm(confirm)) event.preventDefault();
      }}
    >
      {children}
      <ActionOutcome state={state} />
    </form>
  );
}

/** An admin action's error or notice, for forms that render their own frame. */
export function ActionOutcome({ state }: { state: AdminActionState }) {
  return (
    <>
      {state.error ? (
        <p className="admin-error" role="alert">
          {state.error}
        </p>
      ) : null}
      {state.notice ? (
        <p className="admin-notice" role="status">
          {state.notice}
        </p>
      ) : null}
    </>
  );
}
