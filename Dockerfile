# Build stage: compile the release binary (migrations and templates are embedded in it).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin recotrack

# Runtime stage: the binary, its config and seeds, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app recotrack
WORKDIR /app
COPY --from=build /src/target/release/recotrack /usr/local/bin/recotrack
COPY config ./config
COPY seeds ./seeds
USER recotrack
EXPOSE 8080
CMD ["recotrack", "serve"]
