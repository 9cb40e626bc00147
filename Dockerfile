# ledger-server (and the ledger and ledger-load clients) on Debian 12.
# The build stage installs its packages with the same script as `make`, so the
# two cannot drift apart; the runtime stage carries only the binaries and the
# shared libraries they load (deploy/install-deps.sh runtime).
FROM debian:bookworm AS build
WORKDIR /src
COPY deploy/install-deps.sh deploy/
RUN deploy/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build --target ledger-server ledger ledger-load

FROM debian:bookworm-slim
COPY deploy/install-deps.sh /tmp/
RUN /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin ledger
COPY --from=build /build/service/ledger-server /build/client/cli/ledger \
     /build/client/load/ledger-load /usr/local/bin/
# A numeric user, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
USER 10001
# gRPC: coroutine mode, thread mode; Prometheus metrics (contract/ports.h).
EXPOSE 50051 50052 9464
# Flags are passed as arguments, e.g. `docker run ledger --mode=coroutine`.
ENTRYPOINT ["ledger-server"]
