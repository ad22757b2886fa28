"use client";

import { startRegistration } from "@simplewebauthn/browser";
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { LocalTime } from "@/app/(mail)/mail/_components/local-time";
import { FieldError, FormStatus } from "../../_components/form-parts";
import { RecoveryCodes } from "./recovery-codes";

export type PasskeyDto = {
  id: string;
  name: string;
  passwordless: boolean;
  createdAt: string;
  lastUsedAt: string | null;
};

/** The server's plain-text reason, or a generic one. */
async function reason(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).trim();
  return text && text.length < 300 ? text : "That did not work. Try again.";
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * The account's passkeys: add one (named; optionally for signing in without
 * the password), rename, and remove (asks for the password or a code).
 * Talks to /api/passkeys with fetch, then refreshes the server-rendered list.
 * The first passkey turns two-step on and brings recovery codes, shown once.
 */
export function PasskeysSection({
  address,
  passkeys,
}: {
  address: string;
  passkeys: PasskeyDto[];
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);

  const run = (work: () => Promise<void>) =>
    startTransition(async () => {
      setError(null);
      setNotice(null);
      setNameError(undefined);
      await work();
    });

  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "");
    const passwordless = data.get("passwordless") === "on";
    if (!name.trim()) {
      setNameError("Give the passkey a name.");
      return;
    }
    run(async () => {
      const options = await fetch(
        "/api/passkeys/registration-options",
        json("POST", { passwordless }),
      );
      if (!options.ok) return setError(await reason(options));
      let response;
      try {
        response = await startRegistration({ optionsJSON: await options.json() });
      } catch (cause) {
        return setError(`No passkey was added: ${(cause as Error).message}`);
      }
      const made = await fetch("/api/passkeys", json("POST", { name, passwordless, response }));
      if (!made.ok) return setError(await reason(made));
      const added = (await made.json()) as { name: string; recoveryCodes: string[] | null };
      setNotice(`Added the passkey “${added.name}”.`);
      if (added.recoveryCodes) setCodes(added.recoveryCodes);
      form.reset();
      router.refresh();
    });
  };

  const rename = (event: FormEvent<HTMLFormElement>, passkey: PasskeyDto) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "");
    run(async () => {
      const response = await fetch(`/api/passkeys/${passkey.id}`, json("PATCH", { name }));
      if (!response.ok) return setError(await reason(response));
      setRenaming(null);
      setNotice(`Renamed the passkey to “${name.trim()}”.`);
      router.refresh();
    });
  };

  const remove = (event: FormEvent<HTMLFormElement>, passkey: PasskeyDto) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const password = String(data.get("password") ?? "");
    const code = String(data.get("code") ?? "");
    run(async () => {
      const response = await fetch(
        `/api/passkeys/${passkey.id}`,
        json("DELETE", password ? { password } : { code }),
      );
      if (!response.ok) return setError(await reason(response));
      const { twoStepOff } = (await response.json()) as { twoStepOff: boolean };
      setRemoving(null);
      setNotice(
        `Removed the passkey “${passkey.name}”.` +
          (twoStepOff ? " It was your last second factor: two-step verification is off." : ""),
      );
      router.refresh();
    });
  };

  return (
    <div className="passkeys">
      <FormStatus state={error ? { error } : { ok: Boolean(notice), message: notice ?? "" }} />
      {codes ? (
        <div>
          <p>Two-step verification is on.</p>
          <RecoveryCodes codes={codes} lost="your passkey" onSaved={() => setCodes(null)} />
        </div>
      ) : null}
      {passkeys.length === 0 ? (
        <p className="hint">No passkeys yet.</p>
      ) : (
        <ul className="app-password-list" aria-label="Passkeys">
          {passkeys.map((p) => (
            <li key={p.id} data-testid="passkey">
              <div>
                <strong>{p.name}</strong>
                <span className="hint">
                  {p.passwordless ? "Signs in without a password" : "Second step only"} · Added{" "}
                  <LocalTime iso={p.createdAt} /> ·{" "}
                  {p.lastUsedAt ? (
                    <>
                      Last used <LocalTime iso={p.lastUsedAt} />
                    </>
                  ) : (
                    "Never used"
                  )}
                </span>
                {renaming === p.id ? (
                  <form onSubmit={(e) => rename(e, p)} noValidate>
                    <div className="field">
                      <label htmlFor={`rename-${p.id}`}>New name for {p.name}</label>
                      <input
                        id={`rename-${p.id}`}
                        name="name"
                        maxLength={100}
                        defaultValue={p.name}
                      />
                    </div>
                    <button className="button" type="submit" disabled={pending}>
                      Save name
                    </button>
                  </form>
                ) : null}
                {removing === p.id ? (
                  <form onSubmit={(e) => remove(e, p)} noValidate>
                    <p className="hint">
                      To remove {p.name}, enter your password or a code from your app or a recovery
                      code.
                    </p>
                    <input
                      type="hidden"
                      name="username"
                      autoComplete="username"
                      value={address}
                      readOnly
                    />
                    <div className="field">
                      <label htmlFor={`remove-password-${p.id}`}>Password</label>
                      <input
                        id={`remove-password-${p.id}`}
                        name="password"
                        type="password"
                        autoComplete="current-password"
                      />
                    </div>
                    <div className="field">
                      <label htmlFor={`remove-code-${p.id}`}>Or a code</label>
                      <input id={`remove-code-${p.id}`} name="code" autoComplete="one-time-code" />
                    </div>
                    <button className="button" type="submit" disabled={pending}>
                      Remove passkey
                    </button>
                  </form>
                ) : null}
              </div>
              <button
                type="button"
                className="button quiet"
                disabled={pending}
                onClick={() => setRenaming(renaming === p.id ? null : p.id)}
                aria-label={`Rename ${p.name}`}
              >
                Rename
              </button>
              <button
                type="button"
                className="button quiet"
                disabled={pending}
                onClick={() => setRemoving(removing === p.id ? null : p.id)}
                aria-label={`Remove ${p.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} noValidate className="app-password-create">
        <h3>Add a passkey</h3>
        <div className="field">
          <label htmlFor="passkey-name">Passkey name</label>
          <input
            id="passkey-name"
            name="name"
            maxLength={100}
            placeholder="Laptop, security key…"
            aria-describedby="passkey-name-error"
            aria-invalid={Boolean(nameError)}
          />
          <FieldError id="passkey-name-error" message={nameError} />
        </div>
        <div className="field checkbox">
          <label>
            <input type="checkbox" name="passwordless" /> Also use it to sign in without a password
          </label>
        </div>
        <button className="button" type="submit" disabled={pending}>
          Add passkey
        </button>
      </form>
    </div>
  );
}
