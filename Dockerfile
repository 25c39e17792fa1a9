# syntax=docker/dockerfile:1
#
# Tempest's worker and starter, for docker-compose.yml or any container
# platform:
#
#   docker build -t tempest .
#   docker run tempest --temporal-address temporal:7233        # the worker
#   docker run --entrypoint starter tempest import -c task.toml ...
#
# go.mod asks for Go 1.26.8 and the golang image pins GOTOOLCHAIN=local, so
# GO_VERSION must name a 1.26 image at least that new.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: the download layer survives source-only changes.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO off: every dependency has a pure-Go path (Pebble, SQLite via
# modernc), and a static binary runs on distroless/static.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X github.com/tempestdb/tempest/internal/workerhost.revision=${VERSION}" -o /out/ ./worker ./starter
# Distroless has no shell to create directories with: make the mount
# points here, owned by the nonroot user, so fresh named volumes mounted on
# them inherit that ownership and the worker can write its engines.
RUN mkdir -p /out/var/lib/tempest/sorted-kv /out/dump

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/var/lib/tempest /var/lib/tempest
COPY --from=build --chown=65532:65532 /out/dump /dump
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["--sorted-kv-dir", "/var/lib/tempest/sorted-kv"]
