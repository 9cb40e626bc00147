#!/usr/bin/python3
"""The Dockerfile as a contract, checked without a container engine:
- its runtime stage installs exactly `deploy/install-deps.sh runtime`, and that
  package list (with what its packages depend on) covers every shared library
  the built binaries load, so the image cannot fail at start on a missing one;
- it runs as a numeric non-root user, exposes the ports contract/ports.h
  defines, and starts ledger-server with the container's arguments as flags.

Run by CTest:  image_contents_test.py --source_dir . BINARY...
"""
import argparse
import json
import os
import re
import subprocess
import sys
import unittest

ARGS = None


def read(path):
    with open(os.path.join(ARGS.source_dir, path), encoding="utf-8") as file:
        return file.read()


def stages(dockerfile):
    """The Dockerfile's stages: a list of (FROM line, [instruction lines])."""
    text = re.sub(r"\\\n", " ", dockerfile)  # join continued lines
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append((line, []))
        elif result:
            result[-1][1].append(line)
    return result


def package_list(name):
    """The words of `name="..."` in deploy/install-deps.sh."""
    match = re.search(rf'^{name}="([^"]*)"', read("deploy/install-deps.sh"), re.M)
    return set(match.group(1).split())


def packages_of_libraries(binary):
    """The Debian packages that hold the shared libraries `binary` loads."""
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = {path: os.path.realpath(path) for path in re.findall(r"=> (/\S+)", ldd)}
    # One dpkg query for all of them; a library is owned under its link name
    # or under the file the link resolves to.
    owners = subprocess.run(["dpkg", "-S", *paths, *paths.values()],
                            capture_output=True, text=True).stdout
    owner_of = {}
    for line in owners.splitlines():
        package, _, owned = line.partition(": ")
        owner_of[owned] = package.split(":")[0]
    packages = set()
    for path, real in paths.items():
        owner = owner_of.get(path) or owner_of.get(real)
        if owner is None:
            raise AssertionError(f"{binary} loads {path}, which no Debian package holds")
        packages.add(owner)
    return packages


def dependency_closure(packages):
    """`packages` and everything they depend on, recursively."""
    listed = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(packages)],
        capture_output=True, text=True, check=True).stdout
    return {line.strip().split(":")[0] for line in listed.splitlines()
            if line and not line.startswith(" ")}


class Image(unittest.TestCase):
    def setUp(self):
        self.stages = stages(read("Dockerfile"))
        self.build, self.runtime = self.stages[0], self.stages[-1]

    def test_two_stages_from_debian_12(self):
        self.assertEqual(len(self.stages), 2)
        self.assertRegex(self.build[0], r"^FROM debian:bookworm AS build$")
        self.assertEqual(self.runtime[0], "FROM debian:bookworm-slim")

    def test_both_stages_install_with_the_makefiles_script(self):
        self.assertTrue(any("deploy/install-deps.sh build" in line for line in self.build[1]))
        self.assertTrue(any("install-deps.sh runtime" in line for line in self.runtime[1]))
        self.assertIn("deploy/install-deps.sh test", read("Makefile"))

    def test_runtime_packages_cover_every_library_the_binaries_load(self):
        runtime = package_list("runtime_packages")
        available = dependency_closure(runtime)
        for binary in ARGS.binaries:
            needed = packages_of_libraries(binary)
            self.assertIn("libgrpc++1.51", needed)  # ldd and dpkg really answered
            self.assertEqual(needed - available, set(),
                             f"{os.path.basename(binary)} needs packages the runtime stage "
                             "lacks; add them to runtime_packages in deploy/install-deps.sh")

    def test_runtime_stage_carries_no_build_tools(self):
        runtime = package_list("runtime_packages")
        self.assertEqual({p for p in runtime if p.endswith("-dev") or p in ("g++", "cmake")}, set())

    def test_runs_as_a_numeric_non_root_user(self):
        users = [line.split()[1] for line in self.runtime[1] if line.upper().startswith("USER ")]
        self.assertEqual(len(users), 1)
        self.assertTrue(users[0].isdigit() and int(users[0]) != 0, users[0])

    def test_exposes_the_default_ports(self):
        defaults = read("contract/ports.h")
        ports = {int(re.search(rf"{name} = (\d+);", defaults).group(1))
                 for name in ("kDefaultPort", "kDefaultThreadPort", "kDefaultMetricsPort")}
        exposed = {int(port) for line in self.runtime[1] if line.upper().startswith("EXPOSE ")
                   for port in line.split()[1:]}
        self.assertEqual(exposed, ports)

    def test_entrypoint_is_the_server_and_arguments_are_its_flags(self):
        entrypoints = [line for line in self.runtime[1] if line.upper().startswith("ENTRYPOINT ")]
        self.assertEqual(len(entrypoints), 1)
        self.assertEqual(json.loads(entrypoints[0].split(None, 1)[1]), ["ledger-server"])
        self.assertFalse(any(line.upper().startswith("CMD ") for line in self.runtime[1]))

    def test_copies_the_binaries_it_builds(self):
        copied = " ".join(line for line in self.runtime[1] if line.startswith("COPY --from=build"))
        for binary in ARGS.binaries:
            self.assertIn(os.path.basename(binary), copied)

    def test_dockerignore_keeps_build_trees_out(self):
        ignored = read(".dockerignore").split()
        for entry in (".git", "build", "build-*"):
            self.assertIn(entry, ignored)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source_dir", required=True)
    parser.add_argument("binaries", nargs="+", help="the binaries the image ships")
    ARGS = parser.parse_args()
    result = unittest.main(argv=[sys.argv[0]], exit=False).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
