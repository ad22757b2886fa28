// The webmail's service worker: it makes the webmail installable and shows
// Web Push announcements of new mail (lib/push/announce.ts sends them,
// encrypted; the browser decrypts before this sees them) while no webmail
// tab has focus. A click opens the message, in an open tab when there is one.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      // A focused tab already shows the new mail.
      if (clients.some((c) => c.focused)) return undefined;
      return self.registration.showNotification(data.title || "New mail", {
        body: data.body || "",
        tag: data.tag,
        data: {
          url: typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/mail",
        },
        icon: "/icon.svg",
      });
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/mail";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      const tab = clients.find((c) => new URL(c.url).pathname.startsWith("/mail"));
      if (tab) return tab.navigate(url).then((c) => (c || tab).focus());
      return self.clients.openWindow(url);
    }),
  );
});

// A fetch handler: browsers want one before they offer to install the app.
// Requests go to the network as they would without it.
self.addEventListener("fetch", () => {});
