# syntax=docker/dockerfile:1
# Node 22 LTS. The build stage compiles TypeScript (server and CLI) and the native SQLite driver (node-gyp needs
# python3, make, g++); dependencies come from package-lock.json only (`npm ci`), so a build is reproducible.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY entities ./entities
COPY scim-schemas ./scim-schemas
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled app and production dependencies only, owned by root and run as the unprivileged
# `node` user, so the app cannot change its own code (the root filesystem may be mounted read-only; SQLite's /data
# is the only place it writes).
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=sqlite:/data/rollcall.sqlite
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The operator CLI (package.json "bin") on the PATH: `docker exec <container> rollcall org list`.
RUN chmod 755 dist/src/cli/index.js \
 && ln -s /app/dist/src/cli/index.js /usr/local/bin/rollcall \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The same program as `npm start`, without rebuilding at start-up.
CMD ["node", "dist/src/server.js"]
