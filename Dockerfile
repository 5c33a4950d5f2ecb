# ModelWatch as a container, to run beside a model server (see deploy/kubernetes/ and the README).
#
#   docker build -t modelwatch:0.1.0 .
#   docker run --rm -p 8080:8080 modelwatch:0.1.0 serve --upstream http://model-server:8501 --admin-listen 0.0.0.0:9464
#
# Build stage: the Swift toolchain with libcurl's and SQLite's headers. The Swift runtime is linked
# statically, so the run stage needs only libcurl and SQLite.
FROM swift:6.3-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names every target, test and benchmark folders included, so all of them are copied.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY bench ./bench
RUN swift build -c release --product modelwatch --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/modelwatch" /out/usr/local/bin/modelwatch

# Run stage: slim Debian, libcurl, SQLite and CA certificates (for https upstreams), curl for the
# health check; a user of its own, and a data directory for the store (mount a volume there).
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 modelwatch \
    && useradd --system --uid 10001 --gid modelwatch --home-dir /var/lib/modelwatch --shell /usr/sbin/nologin modelwatch \
    && install -d -o modelwatch -g modelwatch /var/lib/modelwatch
COPY --from=build /out/ /
USER 10001:10001
WORKDIR /var/lib/modelwatch
VOLUME ["/var/lib/modelwatch"]
# 8080: the data port (clients); 9464: the admin port (/metrics, /healthz, /readyz).
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/local/bin/modelwatch"]
CMD ["serve", "--config", "/etc/modelwatch/modelwatch.yaml"]
