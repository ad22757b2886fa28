import type { MetadataRoute } from "next";

// /manifest.webmanifest: makes the webmail installable as an app (with the
// service worker, public/sw.js, that the mail page registers).
export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Mail",
    short_name: "Mail",
    description: "Your mail",
    id: "/mail",
    start_url: "/mail",
    scope: "/",
    display: "standalone",
    background_color: "#ffffff",
    theme_color: "#2563eb",
    icons: [
      { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
      { src: "/icon.svg", sizes: "any", type: "image/svg+xml" },
    ],
  };
}
