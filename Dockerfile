# pg-init-migrator as an init container. Build: docker build -t pg-init-migrator .
# Written for the classic builder as well as BuildKit: no RUN --mount, COPY --chmod or heredocs.

# Stage 1: compile TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# dist/: the library (tsc), and dist/migrator.js, the CLI in one file (esbuild, scripts/bundle.mjs).
RUN npm run build

# Stage 2: production dependencies only (the npm cache stays behind in this stage).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Stage 3: the runtime image. Files belong to root and are read-only for the process, which runs
# as the base image's unprivileged `node` user, by number so that Kubernetes' runAsNonRoot can
# check it. Nothing is written at run time, so `--read-only` works.
FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /build/dist ./dist
COPY migrations ./migrations
# The CLI's compiled code is cached at build time: every start (the no-op path of every pod) skips
# compiling it. The cache is read-only at run time, which Node accepts.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN node dist/migrator.js --version
# The image's migrations cannot change, so their hashes are recorded once here: a start then takes
# them from the manifest (versioned/.versioned-manifest.json) instead of reading every file. A folder
# mounted over versioned/ or /app/migrations brings its own manifest or none, and files copied in by a
# derived image changed after it and are read as without it; a derived image runs this line again
# after its COPY to get the same.
RUN MIGRATIONS_DIR=/app/migrations node dist/migrator.js manifest >/dev/null
USER 1000:1000
# node runs as PID 1 and handles SIGTERM/SIGINT itself: the running statement is cancelled and
# rolled back, and the process exits 143/130 (docs/exit-codes.md).
ENTRYPOINT ["node", "/app/dist/migrator.js"]
CMD ["up"]
