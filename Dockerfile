# One static binary on a distroless image: docker build -t routex . && docker run -p 8080:8080 -v routex-data:/data routex
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (modernc.org/sqlite), so no cgo and no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /routex ./examples/server
# The data directory, made here because the final image has no shell: owned
# by the user the server runs as, which a fresh Docker volume inherits.
RUN mkdir /empty-data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /routex /routex
COPY --from=build --chown=nonroot:nonroot /empty-data /data
# The database and its encryption key live here: mount a volume.
VOLUME /data
# No ROUTEX_ADDR: the server listens on $PORT when the platform sets it
# (Railway, Render, Cloud Run, Heroku), else on :8080.
ENV ROUTEX_DATA=/data
EXPOSE 8080
USER nonroot:nonroot
# The image has no curl: the binary asks its own /health, on the address
# the same environment gives the server.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/routex", "healthcheck"]
ENTRYPOINT ["/routex"]
