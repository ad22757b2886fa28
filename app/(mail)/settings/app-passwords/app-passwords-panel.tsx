"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { FieldError } from "../_components/form-parts";

export type AppPasswordDto = {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  lastUsedProtocol: string | null;
};

const PROTOCOLS: Record<string, string> = { imap: "IMAP", pop3: "POP3", smtp: "SMTP" };

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** The server's plain-text reason, or a generic one. */
async function reason(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).trim();
  return text && text.length < 300 ? text : "That did not work. Try again.";
}

/**
 * Makes app passwords (the new one is shown once, until the page is left)
 * and revokes them. Talks to /api/app-passwords with fetch, then refreshes
 * the server-rendered list.
 */
export function AppPasswordsPanel({ passwords }: { passwords: AppPasswordDto[] }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [created, setCreated] = useState<{ name: string; password: string } | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);

  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("name") ?? "");
    startTransition(async () => {
      setError(null);
      setNameError(undefined);
      const response = await fetch("/api/app-passwords", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      if (!response.ok) {
        setNameError(await reason(response));
        return;
      }
      setCreated((await response.json()) as { name: string; password: string });
      form.reset();
      router.refresh();
    });
  };

  const revoke = (password: AppPasswordDto) => {
    if (!window.confirm(`Revoke “${password.name}”? Mail apps using it are signed out at once.`))
      return;
    startTransition(async () => {
      setError(null);
      const response = await fetch(`/api/app-passwords/${encodeURIComponent(password.id)}`, {
        method: "DELETE",
      });
      if (!response.ok && response.status !== 404) setError(await reason(response));
      router.refresh();
    });
  };

  return (
    <div className="app-passwords">
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {created ? (
        <div className="form-notice new-app-password" role="status">
          <p>
            Your app password for <strong>{created.name}</strong>. Enter it in the app instead of
            your account password. It is shown only now.
          </p>
          <code data-testid="new-app-password">{created.password}</code>
        </div>
      ) : null}
      <form onSubmit={create} noValidate className="app-password-create">
        <div className="field">
          <label htmlFor="app-password-name">Name</label>
          <input
            id="app-password-name"
            name="name"
            maxLength={100}
            placeholder="Phone, Thunderbird at work…"
            aria-describedby="app-password-name-error"
            aria-invalid={Boolean(nameError)}
          />
          <FieldError id="app-password-name-error" message={nameError} />
        </div>
        <button className="button" type="submit" disabled={pending}>
          Create app password
        </button>
      </form>
      {passwords.length === 0 ? (
        <p className="hint">No app passwords yet.</p>
      ) : (
        <ul className="app-password-list" aria-label="App passwords">
          {passwords.map((p) => (
            <li key={p.id} data-testid="app-password">
              <div>
                <strong>{p.name}</strong>
                <span className="hint">
                  Created {when(p.createdAt)} ·{" "}
                  {p.lastUsedAt
                    ? `Last used ${when(p.lastUsedAt)} from ${p.lastUsedIp ?? "?"} (${PROTOCOLS[p.lastUsedProtocol ?? ""] ?? p.lastUsedProtocol})`
                    : "Never used"}
                </span>
              </div>
              <button
                type="button"
                className="button quiet"
                disabled={pending}
                onClick={() => revoke(p)}
                aria-label={`Revoke ${p.name}`}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
