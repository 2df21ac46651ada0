"""Runs the `trajectory` command from Python (a notebook can prepare, train and evaluate without a shell)."""
import os
import shutil
import subprocess
import sys


class CommandError(RuntimeError):
    """The command exited with an error: `status` (sysexits: 64 usage, 65 data, 66 input, 73 output)."""

    def __init__(self, arguments, status, output):
        super().__init__(f"trajectory {' '.join(arguments)} exited with {status}:\n{output[-2000:]}")
        self.status = status
        self.output = output


def find_binary(binary=None):
    """The given path, TRAJECTORY_BIN, or `trajectory` on PATH."""
    path = binary or os.environ.get("TRAJECTORY_BIN") or shutil.which("trajectory")
    if not path:
        raise FileNotFoundError("no trajectory binary: put it on PATH, set TRAJECTORY_BIN, or pass binary=")
    return path


def cli(*arguments, binary=None, echo=True):
    """Runs `trajectory ARGUMENTS…`, passing its output (progress included) through as it comes
    when `echo`; returns the output. Raises CommandError naming the exit status on failure."""
    arguments = [str(a) for a in arguments]
    process = subprocess.Popen([find_binary(binary), *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunks = []
    while True:
        chunk = process.stdout.read1(4096) if hasattr(process.stdout, "read1") else process.stdout.read(4096)
        if not chunk:
            break
        chunks.append(chunk)
        if echo:
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
    status = process.wait()
    output = b"".join(chunks).decode(errors="replace")
    if status != 0:
        raise CommandError(arguments, status, output)
    return output
