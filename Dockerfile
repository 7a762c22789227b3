# Nightshift's image: `docker build -t nightshift .` — one image for the server and the workers.
# Build stage: compiles TypeScript (and better-sqlite3 when no prebuilt binary fits), then drops dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; native modules are built next.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the built CLI and production dependencies only, run as the unprivileged `node` user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NIGHTSHIFT_HOME=/var/lib/nightshift \
    NIGHTSHIFT_HOST=0.0.0.0 \
    NIGHTSHIFT_PORT=8700
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/nightshift && chown node:node /var/lib/nightshift
USER node
VOLUME ["/var/lib/nightshift"]
EXPOSE 8700
# Liveness of the HTTP server (node's own fetch: the slim image has no curl). Workers override it in compose.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.NIGHTSHIFT_PORT || 8700) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
