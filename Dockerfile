# Liaison as a container image: a static binary (CGO_ENABLED=0; the SQLite
# driver is pure Go) on distroless "static", which holds CA certificates,
# time zones and a non-root user and nothing else — no shell, no package
# manager. The image's HEALTHCHECK is the binary's own `liaison healthcheck`.
# cmd/liaison/image_test.go proves the binary runs in such an empty root.
#
#   docker build -t liaison .
#   docker run -p 8080:8080 -v liaison-data:/data liaison
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/liaison ./cmd/liaison \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/liaison /liaison
# /data belongs to the image's user (65532, "nonroot"): the SQLite database,
# its backups and the audit signing key live there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV LIAISON_ADDR=0.0.0.0:8080 \
    LIAISON_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/liaison", "healthcheck"]
ENTRYPOINT ["/liaison"]
CMD ["serve"]
