# Honorloop API image: stateless replicas over PostgreSQL (DATABASE_URL), or SQLite in /data.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY domain ./domain
COPY persistence ./persistence
COPY api ./api
COPY simulation ./simulation
COPY honorloop ./honorloop
COPY loadtests ./loadtests
COPY economies ./economies
COPY schema.graphql ./
RUN pip install -c constraints.txt . && useradd --create-home honorloop && mkdir /data && chown honorloop /data
USER honorloop
ENV DATABASE_URL=sqlite:////data/honorloop.db HONORLOOP_ECONOMY=/app/economies/koc_community.toml
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["honorloop", "serve", "--host", "0.0.0.0", "--port", "8000"]
