# The default base is Docker Hub's; CI builds with a locally made stand-in (see .ci/docker-smoke.sh).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    TRIALWATCH_CONFIG_DIR=/app/config \
    TRIALWATCH_DATABASE_URL=sqlite:////data/trialwatch.db

WORKDIR /app

# Dependencies in their own layer, before the source: rebuilt only when pyproject.toml changes.
# The base image's pip installs into a venv made without pip and setuptools (~28 MB the
# running program never uses: the image stays under 250 MB).
COPY pyproject.toml ./
RUN python -m venv --without-pip /opt/venv \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip --python /opt/venv/bin/python install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The code, the shipped config (users mount their own over it) and the demo's sample feeds.
COPY README.md ./
COPY bot ./bot
COPY core ./core
COPY feeds ./feeds
COPY matchers ./matchers
COPY storage ./storage
COPY config ./config
COPY tests/data/feeds ./tests/data/feeds
RUN pip --python /opt/venv/bin/python install --no-cache-dir --no-deps -e . \
 && useradd --no-create-home --uid 10001 --home-dir /data trialwatch \
 && mkdir -p /data \
 && chown 10001:10001 /data

USER 10001
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=15s --start-period=120s --retries=3 CMD ["trialwatch", "health"]
CMD ["trialwatch", "run"]
