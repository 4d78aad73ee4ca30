# One static binary on a distroless image: docker build -t routex . && docker run -p 8080:8080 -v routex-data:/data routex
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (modernc.org/sqlite), so no cgo and no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /routex ./examples/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /routex /routex
# The database and its encryption key live here: mount a volume.
VOLUME /data
ENV ROUTEX_ADDR=:8080 ROUTEX_DATA=/data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/routex"]
