# tocsin container image: a static-ish release build on Debian, copied into a slim runtime as a non-root user.
# Build: docker build -t tocsin .    Run: docker run --rm -v $PWD/rules:/rules tocsin check /rules

FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so that source edits reuse the cached dependency layer.
# build.rs sets the executable's link options (packed relocations), so it belongs with the manifest.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked && rm -rf src
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked && strip target/release/tocsin

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tocsin
COPY --from=build /src/target/release/tocsin /usr/local/bin/tocsin
USER 10001:10001
# vmalert's HTTP port, so the image swaps in for vmalert's.
EXPOSE 8880
ENTRYPOINT ["tocsin"]
CMD ["--help"]
