"use client";

import { addSenderAction, removeSenderAction } from "../actions";
import { Field, FormStatus, SaveButton, useSettingsForm } from "./form-parts";

export type SenderEntry = { sender: string; kind: "BLOCK" | "SAFE" };

function EntryList({ title, entries }: { title: string; entries: SenderEntry[] }) {
  const { state, pending, onSubmit } = useSettingsForm(removeSenderAction);
  return (
    <div className="sender-list">
      <h3>{title}</h3>
      <FormStatus state={state} />
      {entries.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul aria-label={title}>
          {entries.map((e) => (
            <li key={e.sender}>
              <form onSubmit={onSubmit}>
                <span>{e.sender}</span>
                <input type="hidden" name="sender" value={e.sender} />
                <button
                  className="button quiet"
                  type="submit"
                  disabled={pending}
                  aria-label={`Remove ${e.sender}`}
                >
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Blocked senders (always Junk) and safe senders (never Junk), as Outlook.com has them. */
export function SenderListsForm({ entries }: { entries: SenderEntry[] }) {
  const { state, pending, onSubmit, errors } = useSettingsForm(addSenderAction);
  return (
    <>
      <form onSubmit={onSubmit} noValidate>
        <FormStatus state={state} />
        <Field
          name="sender"
          label="Address or domain"
          placeholder="name@example.com or @example.com"
          hint="Mail from blocked senders goes to Junk; mail from safe senders never does."
          errors={errors}
        />
        <div className="field">
          <label htmlFor="sender-kind">List</label>
          <select id="sender-kind" name="kind" defaultValue="BLOCK">
            <option value="BLOCK">Blocked senders</option>
            <option value="SAFE">Safe senders</option>
          </select>
        </div>
        <SaveButton pending={pending}>Add</SaveButton>
      </form>
      <EntryList title="Blocked senders" entries={entries.filter((e) => e.kind === "BLOCK")} />
      <EntryList title="Safe senders" entries={entries.filter((e) => e.kind === "SAFE")} />
    </>
  );
}
