"""What the Python benchmarks share: starting a fresh eddy and naming the builds to compare."""
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
READY = "eddy ready on "


def start_eddy(binary, *extra_args, cpu=None):
    """Starts `binary serve` on a free port and a fresh data dir (plus `extra_args`), pinned to CPU `cpu` when
    given and `taskset` exists; returns the process and its endpoint (`http://127.0.0.1:PORT`)."""
    data = tempfile.mkdtemp(prefix="eddy-bench-")
    args = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--log-level", "error", *extra_args]
    if cpu is not None and shutil.which("taskset") and (os.cpu_count() or 1) > cpu:
        args = ["taskset", "-c", str(cpu)] + args
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith(READY):
        raise SystemExit(f"eddy did not start: {line!r}")
    return proc, line.strip().removeprefix(READY)


def builds(specs):
    """`--bin NAME=PATH` arguments as (name, path) pairs; none means this checkout's release build."""
    return [spec.split("=", 1) for spec in specs] or [["this", os.path.join(ROOT, "target/release/eddy")]]
