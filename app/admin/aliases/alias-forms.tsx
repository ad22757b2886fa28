"use client";

import { useActionState } from "react";
import {
  createAliasAction,
  deleteAliasAction,
  updateAliasAction,
  type AliasFormState,
} from "./actions";

export type AliasDto = {
  id: string;
  address: string;
  kind: "alias" | "list";
  owner: string;
  membersOnly: boolean;
  targets: string[];
};

function Outcome({ state }: { state: AliasFormState }) {
  if (state.error)
    return (
      <p className="admin-error" role="alert">
        {state.error}
      </p>
    );
  if (state.notice)
    return (
      <p className="admin-ok" role="status">
        {state.notice}
      </p>
    );
  return null;
}

export function CreateAliasForm() {
  const [state, action, pending] = useActionState(createAliasAction, {});
  return (
    <form action={action} className="admin-form" aria-label="New alias or list">
      <Outcome state={state} />
      <label>
        Address
        <input
          name="address"
          type="text"
          placeholder="team@example.org"
          required
          defaultValue={state.values?.address}
        />
      </label>
      <fieldset>
        <legend>Kind</legend>
        <label>
          <input
            type="radio"
            name="kind"
            value="alias"
            defaultChecked={state.values?.kind !== "list"}
          />{" "}
          Alias (forwards)
        </label>
        <label>
          <input
            type="radio"
            name="kind"
            value="list"
            defaultChecked={state.values?.kind === "list"}
          />{" "}
          Mailing list
        </label>
      </fieldset>
      <TargetFields values={state.values} />
      <button type="submit" disabled={pending}>
        Create
      </button>
    </form>
  );
}

function TargetFields({ alias, values }: { alias?: AliasDto; values?: Record<string, string> }) {
  // After an error the form shows what was submitted; otherwise the alias as stored.
  const targets = values ? values.targets : alias?.targets.join("\n");
  const owner = values ? values.owner : alias?.owner;
  const membersOnly = values ? values.membersOnly === "on" : alias?.membersOnly;
  return (
    <>
      <label>
        Targets or members (one address a line; local or external)
        <textarea name="targets" rows={4} defaultValue={targets} required />
      </label>
      <label>
        Owner account (may send as this address; optional)
        <input name="owner" type="text" defaultValue={owner} />
      </label>
      {!alias || alias.kind === "list" ? (
        <label>
          <input type="checkbox" name="membersOnly" defaultChecked={membersOnly} /> Members only may
          post (lists)
        </label>
      ) : null}
    </>
  );
}

export function EditAliasForm({ alias }: { alias: AliasDto }) {
  const [state, action, pending] = useActionState(updateAliasAction, {});
  return (
    <form action={action} className="admin-form" aria-label={`Edit ${alias.address}`}>
      <Outcome state={state} />
      <input type="hidden" name="id" value={alias.id} />
      <TargetFields alias={alias} values={state.values} />
      <button type="submit" disabled={pending}>
        Save
      </button>
    </form>
  );
}

export function DeleteAliasButton({ alias }: { alias: AliasDto }) {
  const [state, action, pending] = useActionState(deleteAliasAction, {});
  return (
    <form
      action={action}
      onSubmit={(event) => {
        if (!window.confirm(`Delete ${alias.address}? Mail to it will be refused.`)) {
          event.preventDefault();
        }
      }}
    >
      <Outcome state={state} />
      <input type="hidden" name="id" value={alias.id} />
      <button type="submit" disabled={pending} aria-label={`Delete ${alias.address}`}>
        Delete
      </button>
    </form>
  );
}
