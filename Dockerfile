# syntax=docker/dockerfile:1
# Build stage: install dependencies into a venv first (cached layer), then the source.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies only, from pyproject.toml, so source edits do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir bot && touch bot/__init__.py \
    && pip install . \
    && pip uninstall -y newsbrief
COPY bot ./bot
RUN pip install --no-deps .

# Runtime stage: the venv and nothing else, as a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
RUN useradd --create-home --uid 10001 newsbrief && mkdir -p /app/data && chown newsbrief /app/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config.yaml ./config.yaml
# The bundled config.yaml reads its `ops` keys from these: serve /healthz and /metrics on every
# interface of the container (publish the port to scrape /metrics from outside).
ENV NEWSBRIEF_OPS_ENABLED=true NEWSBRIEF_OPS_HOST=0.0.0.0 NEWSBRIEF_OPS_PORT=9108
EXPOSE 9108
USER newsbrief
VOLUME ["/app/data"]
# python's urllib, as the slim image has no curl: urlopen raises (exit 1) on 503 or no answer.
# The start period covers worker start-up and the first Discord connection.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWSBRIEF_OPS_PORT', '9108'), timeout=4)"]
CMD ["python", "-m", "bot", "run", "--config", "/app/config.yaml"]
