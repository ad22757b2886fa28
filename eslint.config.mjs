import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      ".build/**",
      "data/**",
      "lib/generated/**",
      "next-env.d.ts",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // React's hook rules are for React code; elsewhere `use…` is just a name.
    files: ["lib/**", "mail-gateway/**", "scripts/**", "test/**", "web/**", "prisma/**"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  {
    // The shared core runs in the gateway too: no Next.js or React there.
    files: ["lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            "next",
            "next/*",
            "react",
            "react-dom",
            "server-only",
            "@/app/*",
            "@/mail-gateway/*",
          ],
        },
      ],
    },
  },
  {
    files: ["app/**/*.ts", "app/**/*.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["@/mail-gateway/*", "@/lib/db", "@/lib/generated/*"] },
      ],
    },
  },
  {
    files: ["mail-gateway/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["@/app/*", "next", "next/*", "react"] }],
    },
  },
];

export default config;
