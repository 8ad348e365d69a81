# The migrations image of your repository: the migrator's image with your migrations/ baked in. The
# pipelines beside this file build it from your repository's root (copy it there, next to
# migrations/) and push it; examples/kubernetes/ runs it. Each release so carries its own migrations.
#
# Until the migrator's image is published, build it from the migrator's repository
# (`docker build -t <your registry>/pg-init-migrator:0.1.0 .`), push it, and build this one with
# `--build-arg MIGRATOR_BASE=<your registry>/pg-init-migrator:0.1.0` (docs/ci.md).
ARG MIGRATOR_BASE=ghcr.io/pg-init-migrator/pg-init-migrator:0.1.0
FROM ${MIGRATOR_BASE}
COPY migrations /srv/migrations
ENV MIGRATIONS_DIR=/srv/migrations
# The files' hashes, recorded once here, so that a start need not read every file (docs/compose.md).
USER 0
RUN node /app/dist/migrator.js manifest >/dev/null
USER 1000:1000
