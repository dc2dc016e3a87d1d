# syntax=docker/dockerfile:1
# The viralflow image: one image for the worker (default CMD) and the upstream simulator
# (`node bin/viralflow.js sim …`). Pinned to a full Node version so rebuilds are reproducible.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: dev dependencies (typescript) only live here ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
# Only src/ is copied, so tsconfig's test/ and bench/ globs match nothing and the build emits dist/src alone.
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and compiled code, run as an unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
# Containers are reached from other containers (Prometheus), so metrics bind every interface.
# Memory: bin/viralflow.js sizes the worker's heap from VIRALFLOW_MEMORY_MB, else the container's cgroup
# limit (`docker run -m`, a Kubernetes limit), and sets glibc's malloc variables (docs/how-to/run-a-worker.md, "Memory").
ENV NODE_ENV=production \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464 \
    TEMPORAL_METRICS_PORT=9465 \
    VIRALFLOW_DATA_DIR=/var/lib/viralflow
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
# dist/src holds the prebuilt workflow bundle `npm run build` writes, so workers do not run webpack
# at start-up (they would, with a warning, if it no longer matched the compiled workflows).
RUN mkdir -p /var/lib/viralflow && chown node:node /var/lib/viralflow
USER node
EXPOSE 9464 9465
# No curl in the slim image: node's fetch probes the worker's liveness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Run as a program (its POSIX sh part), not `node bin/viralflow.js`: that is what applies the heap limits.
CMD ["bin/viralflow.js", "worker"]
