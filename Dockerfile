# Customer Hub: one app process per container (`python -m server`), non-root, health-checked.
#   docker build -t customer-hub .
#   docker compose up        (compose.yaml: PostgreSQL, Redis, two app processes, one port)
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md server.py ./
COPY core core
COPY schema schema
COPY plugins plugins
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    ENVIRONMENT=production
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 hub
USER hub
WORKDIR /home/hub
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["python", "-m", "server"]
