// The web app's icons, as inline SVG drawn in the text colour. Never emoji or
// symbol characters: those need a font that has them (Debian's Chromium, with
// no emoji font, showed empty boxes). Decorative by default (aria-hidden):
// the button or link around an icon carries the accessible name; pass
// `label` for an icon that stands alone. Usable in server and client
// components (no state, no effects).

type Shape = { d: string; fill?: boolean };

// 24×24 grid, 2px strokes unless filled.
const ICONS = {
  menu: [{ d: "M4 6h16M4 12h16M4 18h16" }],
  close: [{ d: "M6 6l12 12M18 6L6 18" }],
  back: [{ d: "M19 12H5M11 6l-6 6 6 6" }],
  settings: [
    {
      d: "M18.88 9.87L21.44 10.28L21.44 13.72L18.88 14.13L18.37 15.36L19.89 17.46L17.46 19.89L15.36 18.37L14.13 18.88L13.72 21.44L10.28 21.44L9.87 18.88L8.64 18.37L6.54 19.89L4.11 17.46L5.63 15.36L5.12 14.13L2.56 13.72L2.56 10.28L5.12 9.87L5.63 8.64L4.11 6.54L6.54 4.11L8.64 5.63L9.87 5.12L10.28 2.56L13.72 2.56L14.13 5.12L15.36 5.63L17.46 4.11L19.89 6.54L18.37 8.64Z",
    },
    { d: "M15 12a3 3 0 1 1-6 0a3 3 0 1 1 6 0Z" },
  ],
  flag: [{ d: "M5 21V4" }, { d: "M5 4h12l-3 4.5 3 4.5H5Z", fill: true }],
  flagOutline: [{ d: "M5 21V4" }, { d: "M5 4h12l-3 4.5 3 4.5H5Z" }],
  attachment: [
    {
      d: "M20.5 11.5l-8.2 8.2a5.2 5.2 0 0 1-7.4-7.4l8.6-8.6a3.5 3.5 0 0 1 4.9 4.9l-8.6 8.6a1.7 1.7 0 0 1-2.5-2.5l7.9-7.9",
    },
  ],
  bulletList: [
    { d: "M10 6h10M10 12h10M10 18h10" },
    {
      d: "M3.5 6a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0ZM3.5 12a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0ZM3.5 18a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0Z",
      fill: true,
    },
  ],
  numberedList: [
    { d: "M10 6h10M10 12h10M10 18h10" },
    {
      d: "M4 4.5l1.5-1v5M3.5 11.2a1.3 1.3 0 0 1 2.6.3c0 1-2.6 2-2.6 3h2.7M3.6 16.5h2.3l-1.2 1.4a1.2 1.2 0 1 1-1.1 1.7",
    },
  ],
  quote: [
    {
      d: "M4 7h6v5.5c0 3-2 5-5 5.5v-2.2c1.5-.4 2.4-1.4 2.5-3.3H4ZM14 7h6v5.5c0 3-2 5-5 5.5v-2.2c1.5-.4 2.4-1.4 2.5-3.3H14Z",
      fill: true,
    },
  ],
  link: [
    { d: "M10 13.5a4.5 4.5 0 0 0 6.4.4l3-3a4.5 4.5 0 0 0-6.4-6.4l-1.6 1.6" },
    { d: "M14 10.5a4.5 4.5 0 0 0-6.4-.4l-3 3a4.5 4.5 0 0 0 6.4 6.4l1.6-1.6" },
  ],
  image: [
    { d: "M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Z" },
    { d: "M10 8.5a1.5 1.5 0 1 1-3 0a1.5 1.5 0 1 1 3 0Z" },
    { d: "M21 15l-5-5L5 21" },
  ],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

export function Icon({ name, label }: { name: IconName; label?: string }) {
  const shapes: Shape[] = ICONS[name];
  return (
    <svg
      className={`icon icon-${name}`}
      viewBox="0 0 24 24"
      width="1.15em"
      height="1.15em"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      focusable="false"
      {...(label ? { role: "img", "aria-label": label } : { "aria-hidden": true })}
    >
      {shapes.map((s) => (
        <path key={s.d} d={s.d} fill={s.fill ? "currentColor" : undefined} />
      ))}
    </svg>
  );
}
