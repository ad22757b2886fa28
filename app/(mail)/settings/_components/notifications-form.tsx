"use client";

import { useEffect, useState } from "react";
import { saveNotificationFoldersAction } from "../actions";
import { FormStatus, SaveButton, useSettingsForm } from "./form-parts";

type Permission = "default" | "granted" | "denied" | "unsupported";

/** base64url (the VAPID public key) to the bytes pushManager.subscribe takes. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * Turns on desktop notifications (the browser asks for permission only
 * after this click) and Web Push for this browser, and picks the folders
 * whose new mail is announced.
 */
export function NotificationsForm({
  folders,
}: {
  folders: { id: string; name: string; announced: boolean }[];
}) {
  const { state, pending, onSubmit } = useSettingsForm(saveNotificationFoldersAction);
  const [permission, setPermission] = useState<Permission>("default");
  const [push, setPush] = useState("");
  useEffect(() => {
    // Only the browser knows; read after hydration.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setPermission(typeof Notification === "undefined" ? "unsupported" : Notification.permission);
  }, []);

  const turnOn = async () => {
    const answer = await Notification.requestPermission();
    setPermission(answer);
    if (answer !== "granted") return;
    try {
      const registration = await navigator.serviceWorker.register("/sw.js");
      await navigator.serviceWorker.ready;
      const { publicKey } = (await (await fetch("/api/push")).json()) as { publicKey: string };
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(publicKey),
        }));
      const saved = await fetch("/api/push", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(subscription.toJSON()),
      });
      setPush(
        saved.ok ? "New mail is also announced when the webmail is closed." : await saved.text(),
      );
    } catch {
      setPush(
        "This browser offers no push service: new mail is announced while the webmail is open.",
      );
    }
  };

  return (
    <div>
      <p data-testid="notification-permission">
        {permission === "granted"
          ? "Desktop notifications are on in this browser."
          : permission === "denied"
            ? "This browser blocks notifications from this site: allow them in its site settings."
            : permission === "unsupported"
              ? "This browser cannot show notifications."
              : "Desktop notifications are off in this browser."}
      </p>
      {permission === "default" || (permission === "granted" && !push) ? (
        <button type="button" className="button" onClick={() => void turnOn()}>
          {permission === "granted" ? "Also announce when closed" : "Turn on desktop notifications"}
        </button>
      ) : null}
      {push ? <p role="status">{push}</p> : null}
      <form onSubmit={onSubmit} noValidate>
        <FormStatus state={state} />
        <fieldset>
          <legend>Announce new mail in</legend>
          {folders.map((f) => (
            <label key={f.id} className="checkbox-row">
              <input type="checkbox" name="folder" value={f.id} defaultChecked={f.announced} />{" "}
              {f.name}
            </label>
          ))}
        </fieldset>
        <SaveButton pending={pending}>Save folders</SaveButton>
      </form>
    </div>
  );
}
