"use client";

import type { VacationSettings } from "@/lib/accounts/user-settings";
import { saveVacationAction } from "../actions";
import { Field, FormStatus, SaveButton, useSettingsForm } from "./form-parts";

// The dates are calendar days where the user is: the browser's time zone is
// sent along and the gateway compares dates in it.
const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function VacationForm({ vacation }: { vacation: VacationSettings }) {
  const { state, pending, onSubmit, errors } = useSettingsForm(saveVacationAction, {
    prepare: (form) => form.set("timeZone", browserTimeZone()),
  });
  return (
    <form onSubmit={onSubmit} noValidate>
      <FormStatus state={state} />
      <div className="field checkbox">
        <input
          id="vacation-enabled"
          name="enabled"
          type="checkbox"
          defaultChecked={vacation.enabled}
        />
        <label htmlFor="vacation-enabled">Send automatic replies</label>
      </div>
      <p className="hint">
        Each sender gets one reply per period below. Mailing lists, bulk and automatic mail get
        none.
      </p>
      <div className="field-row">
        <Field
          name="startDate"
          label="First day"
          type="date"
          defaultValue={vacation.startDate ?? ""}
          errors={errors}
        />
        <Field
          name="endDate"
          label="Last day"
          type="date"
          defaultValue={vacation.endDate ?? ""}
          errors={errors}
        />
      </div>
      <Field
        name="subject"
        label="Reply subject"
        defaultValue={vacation.subject}
        placeholder="Auto: (the original subject)"
        errors={errors}
      />
      <Field
        name="body"
        label="Reply message"
        rows={6}
        defaultValue={vacation.body}
        errors={errors}
      />
      <Field
        name="replyIntervalDays"
        label="Reply to the same sender at most every (days)"
        type="number"
        min={1}
        max={30}
        defaultValue={vacation.replyIntervalDays}
        errors={errors}
      />
      <SaveButton pending={pending}>Save automatic replies</SaveButton>
    </form>
  );
}
