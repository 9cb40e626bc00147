"""The project's version, where it is defined once: CMakeLists.txt's
project(ledger VERSION ...). The container image is tagged with it (the
image test builds ledger:<version>, deploy/k8s runs that tag), so the tests of
both read it here rather than holding a copy."""
import pathlib
import re


def project_version(source_root):
    text = (pathlib.Path(source_root) / "CMakeLists.txt").read_text()
    match = re.search(r"^project\(\s*ledger\b[^)]*\bVERSION\s+(\d+(?:\.\d+){0,3})\b", text, re.M)
    if not match:
        raise ValueError(f"no project(ledger VERSION ...) in {source_root}/CMakeLists.txt")
    return match.group(1)
