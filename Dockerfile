# Honorloop API image: stateless replicas over PostgreSQL (DATABASE_URL), or SQLite in the
# /data volume. Production mode by default: no GraphiQL, no introspection, and it refuses to
# start without HONORLOOP_JWT_SECRET (the development secret is public).
#   docker build -t honorloop .
#   docker run -e HONORLOOP_JWT_SECRET=... -e DATABASE_URL=postgresql://... -p 8000:8000 honorloop

# --- build: install the API and its pinned dependencies into a virtual environment -------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/honorloop
COPY pyproject.toml constraints.txt README.md ./
COPY domain ./domain
COPY persistence ./persistence
COPY api ./api
COPY honorloop ./honorloop
RUN /opt/honorloop/bin/pip install --no-compile -c constraints.txt . \
    && /opt/honorloop/bin/python -m compileall -q /opt/honorloop/lib

# --- runtime: the environment and the economy, nothing to build with --------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/honorloop/bin:$PATH
ENV HONORLOOP_MODE=production HONORLOOP_HOST=0.0.0.0 HONORLOOP_PORT=8000
ENV DATABASE_URL=sqlite:////data/honorloop.db HONORLOOP_ECONOMY=/app/economies/koc_community.toml
RUN useradd --system --uid 10001 --no-create-home honorloop \
    && mkdir /data && chown 10001:10001 /data
COPY --from=build /opt/honorloop /opt/honorloop
COPY economies /app/economies
WORKDIR /app
USER 10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"]
ENTRYPOINT ["honorloop"]
CMD ["serve"]
