"use client";

import { useEffect, useRef } from "react";
import { mailHref } from "./mail-url";

/**
 * Desktop notifications for new mail while the webmail is open but not in
 * view (Notification API; permission is asked on the Settings page, on the
 * user's click). Fed by the same live-update stream as the list (lib/live).
 * When this browser has a Web Push subscription, the service worker
 * (public/sw.js) announces instead, so nothing shows twice. Also registers
 * that service worker, which makes the webmail installable.
 */
export function NewMailNotifier({
  folders,
}: {
  /** The announced folders (notification settings), by id. */
  folders: { id: string; name: string }[];
}) {
  const announced = useRef(folders);
  useEffect(() => {
    announced.current = folders;
  });

  useEffect(() => {
    const registration =
      "serviceWorker" in navigator
        ? navigator.serviceWorker.register("/sw.js").catch(() => null)
        : Promise.resolve(null);
    if (typeof Notification === "undefined") return;
    const source = new EventSource("/api/events");
    source.addEventListener("change", (event) => {
      let change: { mailboxId?: string | null; kind?: string } = {};
      try {
        change = JSON.parse((event as MessageEvent<string>).data) as typeof change;
      } catch {
        return;
      }
      const folder = announced.current.find((f) => f.id === change.mailboxId);
      if (change.kind !== "new" || !folder || Notification.permission !== "granted") return;
      if (document.visibilityState === "visible" && document.hasFocus()) return;
      void registration
        .then((r) => r?.pushManager?.getSubscription() ?? null)
        .catch(() => null)
        .then((pushed) => {
          if (pushed) return;
          const note = new Notification(`New mail in ${folder.name}`, {
            tag: `new-mail-${folder.id}`,
            icon: "/icon.svg",
          });
          note.onclick = () => {
            window.focus();
            window.location.assign(mailHref({ folder: folder.id }));
          };
        });
    });
    return () => source.close();
  }, []);
  return null;
}
