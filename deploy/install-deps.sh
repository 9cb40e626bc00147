#!/bin/sh
# Installs the Debian 12 packages ledger needs, and nothing when they are all
# present (so `make` stays quick). One list for the Makefile, CI and the
# container image, so they cannot drift apart.
#
#   deploy/install-deps.sh build     compilers and libraries (the image's build stage)
#   deploy/install-deps.sh test      build, plus what the tests run (make, CI),
#                                    clang and libFuzzer for the fuzzer included;
#                                    not kubectl, which Debian 12 lacks (README)
#   deploy/install-deps.sh runtime   only the shared libraries the binaries load
#
# grpc-proto is gRPC's own protos: the health protocol's is compiled from it.
#
# postgresql-15 is the server the tests start in a directory of their own
# (deploy/postgres/local_cluster.sh), psql included. Installing it also makes
# Debian's system cluster (15/main), which we never use. Without an init
# system (a container, CI) Debian does not start that cluster, and apt still
# succeeds; with systemd it runs, on port 5432, clear of our clusters, which
# listen on Unix sockets only.
set -eu

build_packages="
  g++ make cmake ninja-build ccache pkgconf
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev libabsl-dev grpc-proto
  prometheus-cpp-dev libssl-dev libpq-dev libspdlog-dev
"
test_packages="$build_packages
  libgtest-dev libgmock-dev libbenchmark-dev linux-perf clang-14 libclang-rt-14-dev
  python3 python3-grpcio python3-protobuf python3-yaml prometheus
  debootstrap buildah podman postgresql-15
"
runtime_packages="
  libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libprometheus-cpp-pull1.0 libssl3 libpq5
  libspdlog1.10 libfmt9
  ca-certificates
"

case "${1:-}" in
  build) wanted=$build_packages ;;
  test) wanted=$test_packages ;;
  runtime) wanted=$runtime_packages ;;
  *) echo "usage: $0 build|test|runtime" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing="$missing $package"
done
# The manifest checks run npm. A Node.js of another origin (NodeSource's
# nodejs bundles npm, and conflicts with Debian's npm package) serves as well,
# so Debian's are installed only when there is no npm at all.
if [ "$1" = test ] && ! command -v npm >/dev/null; then
  missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
  command -v sudo >/dev/null || { echo "$0: run as root, or install sudo" >&2; exit 1; }
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086 # the list is meant to split into words
$sudo apt-get install -y -q --no-install-recommends $missing
