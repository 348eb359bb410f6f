# vtrans server image. Multi-stage: the build stage installs everything and compiles; the runtime
# stage holds only production dependencies and the built output, and runs as the unprivileged
# `node` user. Build with `docker build -t vtrans .`; see compose.yaml for several instances.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Toolchain for native modules (better-sqlite3) when no prebuilt binary fits the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
COPY packages/server/package.json packages/server/
COPY packages/cli/package.json packages/cli/
COPY packages/test-support/package.json packages/test-support/
# The root's prepare script builds only where the sources are (not yet, in this layer).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY packages packages
# What the image runs (the CLI references the client and the server) and the dashboard; the
# root tsconfig would also check tests, benches and scripts, which are not copied.
RUN npx tsc -b packages/cli && node packages/server/scripts/build-dashboard.mjs \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    VT_STORE=sqlite:/data/vtrans.db
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages/client/package.json packages/client/package.json
COPY --from=build /app/packages/client/dist packages/client/dist
COPY --from=build /app/packages/server/package.json packages/server/package.json
COPY --from=build /app/packages/server/dist packages/server/dist
COPY --from=build /app/packages/server/public packages/server/public
COPY --from=build /app/packages/cli/package.json packages/cli/package.json
COPY --from=build /app/packages/cli/dist packages/cli/dist
COPY --from=build /app/packages/cli/bin packages/cli/bin
# The default store's file lives on a volume the unprivileged user owns.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same entry point the test suite starts (packages/server/test/helpers/process.ts).
CMD ["node", "packages/server/dist/main.js"]
