# The cachegate image the scale-out examples run (deploy/aws-batch, deploy/kubernetes):
# the release binary on Debian slim, which gives the shell the array jobs compute their
# shard with. Build from the repository's root:
#
#   docker build -t cachegate .
#   docker run --rm -v "$PWD:/work" cachegate cachegate run scenarios/pets.toml --out reports
#
# Stage 1 builds with the toolchain the project is tested on; cargo's registry and the
# target folder are cache mounts, so a rebuild after a source change recompiles only the
# crate (BuildKit, the default builder since Docker 23).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin cachegate \
    && cp target/release/cachegate /usr/local/bin/cachegate

# Stage 2: the binary alone (it links only glibc), run as an unprivileged user whose id a
# shared file system's access point can map (EFS: PosixUser 10001:10001).
FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/cachegate /usr/local/bin/cachegate
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin cachegate
USER 10001:10001
WORKDIR /work
CMD ["cachegate", "--help"]
