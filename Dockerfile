# One image for both processes; docker-compose.yml picks the role.
FROM node:20-bookworm-slim
WORKDIR /srv/mail
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/prisma-generate.mjs
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
RUN npm run build
EXPOSE 3000 25 587 110 995 143 993
CMD ["npx", "tsx", "scripts/serve.ts", "web"]
