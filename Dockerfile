# Multi-stage build of the server and its site (WASM, JS, CSS). Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --locked cargo-leptos@0.3.10
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' > /tmp/wbv \
 && cargo install wasm-bindgen-cli --version "$(cat /tmp/wbv)"
COPY package.json ./
RUN npm install --no-audit --no-fund
COPY . .
ENV SQLX_OFFLINE=true
RUN PATH="/src/node_modules/.bin:$PATH" cargo leptos build --release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/server /app/server
COPY --from=build /src/target/site /app/target/site
COPY Leptos.toml /app/Leptos.toml
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
CMD ["/app/server"]
