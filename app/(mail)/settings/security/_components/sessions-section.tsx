"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { LocalTime } from "@/app/(mail)/mail/_components/local-time";
import { FormStatus } from "../../_components/form-parts";
import {
  signOutOtherSessionsAction,
  signOutSessionAction,
  type SecurityFormState,
} from "../actions";

export type SessionDto = {
  id: string;
  device: string;
  ip: string;
  firstSeen: string;
  lastSeen: string;
  current: boolean;
};

/** Every signed-in browser, with "Sign out" for each other one and "Sign out everywhere else". */
export function SessionsSection({ sessions }: { sessions: SessionDto[] }) {
  const [state, setState] = useState<SecurityFormState>({});
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const act = (work: () => Promise<SecurityFormState>) =>
    startTransition(async () => {
      const result = await work();
      setState(result);
      if (result.ok) router.refresh();
    });
  const others = sessions.filter((s) => !s.current).length;
  return (
    <div>
      <FormStatus state={state} />
      <table className="security-table">
        <caption className="visually-hidden">Signed-in browsers</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP address</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last active</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} data-testid="session-row" data-session-id={s.id}>
              <td>
                {s.device}
                {s.current ? <strong className="badge"> This browser</strong> : null}
              </td>
              <td>{s.ip}</td>
              <td>
                <LocalTime iso={s.firstSeen} />
              </td>
              <td>
                <LocalTime iso={s.lastSeen} />
              </td>
              <td>
                {s.current ? null : (
                  <form
                    onSubmit={(event) => {
                      event.preventDefault();
                      const form = new FormData(event.currentTarget);
                      act(() => signOutSessionAction(form));
                    }}
                  >
                    <input type="hidden" name="sessionId" value={s.id} />
                    <button
                      className="button quiet"
                      type="submit"
                      disabled={pending}
                      aria-label={`Sign out ${s.device}, ${s.ip}`}
                    >
                      Sign out
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others > 0 ? (
        <button
          className="button"
          type="button"
          disabled={pending}
          onClick={() => act(() => signOutOtherSessionsAction())}
        >
          Sign out everywhere else
        </button>
      ) : null}
    </div>
  );
}
