# Trajectory: build a static binary with the Swift toolchain, run it on slim Debian.
#   docker build -t trajectory .
#   docker run -p 8080:8080 -v $PWD/runs:/runs -v $PWD/data:/data trajectory            # serves /runs/current
#   docker run -v $PWD/data:/data -v $PWD/runs:/runs trajectory train /data/ml1m --out /runs/current
# What of this was verified without a Docker engine, and how: docs/deployment.md ("Containers").
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libopenblas-dev zlib1g-dev libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The same script as `make release`: static Swift runtime, OpenBLAS, SQLite and zlib.
RUN bash scripts/release/static-release.sh && mkdir /out \
    && tar -C /out --strip-components=1 -xzf dist/trajectory-*-linux-x86_64.tar.gz

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /runs --no-create-home trajectory \
    && mkdir -p /data /runs && chown trajectory:trajectory /data /runs
COPY --from=build /out/trajectory /usr/local/bin/trajectory
COPY --from=build /out/docs /usr/share/doc/trajectory
USER trajectory
# Datasets and runs (checkpoints, the SQLite history store) outlive the container.
VOLUME ["/data", "/runs"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["trajectory"]
CMD ["serve", "/runs/current", "--host", "0.0.0.0", "--port", "8080"]
