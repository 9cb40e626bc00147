"""The npm packages of a test directory's committed package-lock.json,
installed into the build tree with `npm ci`: exactly the locked versions, and
nothing again while the installed lockfile is the same.
"""
import filecmp
import shutil
import subprocess
import sys


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
