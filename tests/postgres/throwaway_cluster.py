"""A PostgreSQL 15 cluster of one test's own, in a temporary directory, made and
driven by deploy/postgres/local_cluster.sh: a test that stops or restarts the
database must never do it to the cluster of the fixture `postgres`, which other
tests use at the same time.
"""
import shutil
import subprocess
import tempfile

PSQL = "/usr/lib/postgresql/15/bin/psql"


class ThrowawayCluster:
    """The cluster lives in a fresh directory under /tmp (short, so its socket's
    path fits a Unix socket), and goes with it: `remove()` stops it and deletes
    everything. Nothing runs until `start()`; `dsn` is known before that.
    """

    def __init__(self, local_cluster, prefix="ledger-pg-test-"):
        self.local_cluster = local_cluster
        self.dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        self.dsn = self._run("dsn")

    def _run(self, command):
        # Minutes, not seconds: initdb and a checkpoint are slow on a busy machine.
        done = subprocess.run([self.local_cluster, command, self.dir], capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"local_cluster.sh {command} {self.dir} exited with "
                               f"{done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    def start(self):
        """Makes the cluster (the first time) and starts it; returns once it answers."""
        self._run("start")

    def stop(self):
        self._run("stop")

    def restart(self):
        """`pg_ctl restart -m fast`: ends every session, checkpoints, starts again;
        returns once it answers."""
        self._run("restart")

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, sql):
        """The rows of one statement, each a tuple of strings (NULL as "")."""
        done = subprocess.run(
            [PSQL, "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn,
             "-c", sql],
            capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}) on {sql!r}: {done.stderr.strip()}")
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]
