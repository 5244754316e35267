# Multi-stage build of the server and its site (WASM, JS, CSS). Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --locked cargo-leptos@0.3.10
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' > /tmp/wbv \
 && cargo install wasm-bindgen-cli --version "$(cat /tmp/wbv)"
COPY package.json ./
RUN npm install --no-audit --no-fund
COPY . .
ENV SQLX_OFFLINE=true
RUN PATH="/src/node_modules/.bin:$PATH" cargo leptos build --release --precompress

FROM debian:bookworm-slim
# curl: the healthcheck (GET /health/ready).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The binary finds its site in site/ next to it (or SITE_ROOT); Leptos.toml is compiled in;
# hash.txt (beside it) names the bundle files, whose names carry their hashes.
COPY --from=build /src/target/release/server /src/target/release/hash.txt /app/
COPY --from=build /src/target/site /app/site
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
CMD ["/app/server"]
