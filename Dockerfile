# cnibench's image, for clusters that pull from a registry:
#
#   docker build -t registry.example.com/cnibench:v0.1.0 --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#
# The same layout as `cnibench image build` (no Docker needed): a static
# /cnibench as entrypoint, run as the unprivileged user 65532. The kube
# backend runs /cnibench server|client|netinfo in it, so keep the path.
# Keep VERSION equal to the cnibench that runs against it (docs/kube.md).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
ARG TARGETOS=linux
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/cnibench/cnibench/internal/version.Version=${VERSION} -X github.com/cnibench/cnibench/internal/version.Commit=${COMMIT}" \
      -o /out/cnibench ./cmd/cnibench

# Static, no shell, no package manager; "nonroot" is 65532:65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cnibench /cnibench
USER 65532:65532
ENTRYPOINT ["/cnibench"]
