# CI-only stand-in for postgres:16-alpine (Docker Hub unreachable): Debian's PostgreSQL 15.
ARG BASE_IMAGE=trialwatch-ci-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
COPY pg-entrypoint.sh /entrypoint.sh
RUN mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
USER postgres
ENTRYPOINT ["/bin/sh", "/entrypoint.sh"]
