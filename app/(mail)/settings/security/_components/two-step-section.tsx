"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { LocalTime } from "@/app/(mail)/mail/_components/local-time";
import { Field, FormStatus } from "../../_components/form-parts";
import { RecoveryCodes } from "./recovery-codes";
import {
  confirmTotpAction,
  disableTwoStepAction,
  startTotpAction,
  type SecurityFormState,
} from "../actions";

type Props = { address: string; enabledAt: string | null; recoveryCodesLeft: number };

/**
 * Off: set up an authenticator app (QR code and secret, confirmed by a
 * first code), then the recovery codes, shown once. On: when it was turned
 * on, the recovery codes left, and turning it off (password and a code).
 */
export function TwoStepSection({ address, enabledAt, recoveryCodesLeft }: Props) {
  const [state, setState] = useState<SecurityFormState>({});
  const [enrolment, setEnrolment] = useState<SecurityFormState["enrolment"]>();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const errors = state.fieldErrors ?? {};

  const submit =
    (
      action: (form: FormData) => Promise<SecurityFormState>,
      done?: (s: SecurityFormState) => void,
    ) =>
    (event: React.FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const form = new FormData(event.currentTarget);
      startTransition(async () => {
        const result = await action(form);
        setState(result);
        if (result.ok) done?.(result);
      });
    };

  if (codes) {
    return (
      <div>
        <FormStatus state={state} />
        <RecoveryCodes
          codes={codes}
          lost="your phone"
          onSaved={() => {
            setCodes(null);
            setState({});
            router.refresh();
          }}
        />
      </div>
    );
  }

  if (enabledAt) {
    return (
      <div>
        <p data-testid="two-step-status">
          Two-step verification is <strong>on</strong> since <LocalTime iso={enabledAt} />.{" "}
          {recoveryCodesLeft} of your recovery codes are left.
        </p>
        <form onSubmit={submit(disableTwoStepAction, () => router.refresh())} noValidate>
          <h3>Turn off two-step verification</h3>
          <FormStatus state={state} />
          <input type="hidden" name="username" autoComplete="username" value={address} readOnly />
          <Field
            name="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            errors={errors}
          />
          <Field
            name="code"
            label="Code from your app or a recovery code"
            autoComplete="one-time-code"
            errors={errors}
          />
          <button className="button" type="submit" disabled={pending}>
            Turn off
          </button>
        </form>
      </div>
    );
  }

  if (enrolment) {
    return (
      <form onSubmit={submit(confirmTotpAction, (s) => setCodes(s.recoveryCodes ?? []))} noValidate>
        <FormStatus state={state} />
        <p>Scan this QR code with your authenticator app, or type the key into it.</p>
        {/* A data: URL of an SVG the server made: nothing loads from elsewhere. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img
          src={enrolment.qrDataUrl}
          alt="QR code for your authenticator app"
          width={200}
          height={200}
        />
        <p>
          Key: <code data-testid="totp-secret">{enrolment.secret}</code>
        </p>
        <Field
          name="code"
          label="Code from the app"
          inputMode="numeric"
          autoComplete="one-time-code"
          errors={errors}
        />
        <button className="button" type="submit" disabled={pending}>
          Turn on
        </button>
      </form>
    );
  }

  return (
    <div>
      <FormStatus state={state} />
      <p data-testid="two-step-status">
        Two-step verification is <strong>off</strong>. With it on, signing in asks for a code from
        an authenticator app after your password.
      </p>
      <button
        className="button"
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await startTotpAction();
            setState(result);
            if (result.enrolment) setEnrolment(result.enrolment);
          })
        }
      >
        Set up an authenticator app
      </button>
    </div>
  );
}
