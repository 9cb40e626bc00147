"""The npm packages of a test directory's committed package-lock.json,
installed into the build tree with `npm ci`: exactly the locked versions, and
nothing again while the installed lockfile is the same. And how the scripts
that need Node.js end: FAIL, or SKIPPED (CTest's SKIP_RETURN_CODE) when a tool
Debian may lack is missing.
"""
import filecmp
import os
import shutil
import subprocess
import sys

SKIPPED = 77


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def skip(message):
    print(f"SKIPPED: {message}", file=sys.stderr)
    sys.exit(SKIPPED)


def find_tool(explicit, name, hint):
    """The executable `explicit` names, else `name` on PATH; skips, with
    `hint` on how to get it, when there is none."""
    path = explicit or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        skip(f"{name} not found. {hint}")
    return path


def install_locked_packages(npm, package_dir, work_dir):
    """Installs package_dir's package.json and package-lock.json into
    work_dir/node_modules; exits with a FAIL line when npm cannot."""
    work_dir.mkdir(parents=True, exist_ok=True)
    lock = package_dir / "package-lock.json"
    stamp = work_dir / "installed-package-lock.json"
    if ((work_dir / "node_modules").is_dir() and stamp.exists()
            and filecmp.cmp(lock, stamp, shallow=False)):
        print(f"node_modules in {work_dir} already match {lock}")
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(package_dir / name, work_dir / name)
    # --ignore-scripts: every package the tests use is plain JavaScript, so
    # nothing from the registry needs to run at install time.
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                             "--prefix", str(work_dir)], cwd=work_dir, timeout=600)
    if result.returncode != 0:
        print("FAIL: npm ci failed (the npm registry must be reachable on the first run)",
              file=sys.stderr)
        sys.exit(1)
    shutil.copyfile(lock, stamp)
