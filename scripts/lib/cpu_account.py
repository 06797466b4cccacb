"""Where a command's time goes: wall seconds, its own CPU (wait4: the process and its waited-for
children) and peak RSS, and the database server's CPU over the same time (the postmaster's process
tree, exited backends included: a parent collects its children's CPU when it reaps them).

As a module: tree_cpu(pid), postmaster(psql, url). As a command:
    python3 cpu_account.py PSQL DATABASE_URL -- COMMAND ARGS…
runs COMMAND (stdout passed through) and prints one JSON line on stderr:
{"seconds", "client_cpu_s", "database_cpu_s", "peak_rss_mb", "status"}."""
import json
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def tree_cpu(pid):
    """CPU seconds of a process, its reaped children and its live children. A lower bound: the
    CPU of backends that exit around the end of a phase goes missing from it (up to half of a
    worker phase's in docs/benchmarks.md, "Issue 28, third pass"; waiting for the postmaster to
    reap them did not bring it back), hence `machine_busy` beside it."""
    total = sum(int(x) for x in _stat(pid)[11:15])
    for child in os.listdir("/proc"):
        if child.isdigit():
            try:
                s = _stat(child)
                if int(s[1]) == pid:
                    total += sum(int(x) for x in s[11:15])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return total / TICK


def postmaster(psql, url):
    """The server's postmaster pid, found through its checkpointer (the server must be local)."""
    checkpointer = int(subprocess.run(
        [psql, "-X", "-q", "-At", url, "-c", "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"],
        check=True, capture_output=True, text=True).stdout.strip())
    return int(_stat(checkpointer)[1])


def reap(process):
    """Waits for a child: (exit status, its CPU seconds, its peak RSS in MB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def machine_busy():
    """CPU seconds the whole machine spent busy (all but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def account(server, command, **popen):
    """Runs `command`; returns its accounting dict. `machine_busy_s` is the whole machine's busy
    CPU over the same time: on a quiet host, client + database + the rest (a cross-check of the
    process-tree figure)."""
    database0, busy0, t0 = tree_cpu(server), machine_busy(), time.time()
    status, cpu, rss = reap(subprocess.Popen(command, **popen))
    seconds = time.time() - t0
    return {"seconds": seconds, "client_cpu_s": cpu, "database_cpu_s": tree_cpu(server) - database0,
            "machine_busy_s": machine_busy() - busy0, "peak_rss_mb": rss, "status": status}


if __name__ == "__main__":
    psql, url, sep, *command = sys.argv[1:]
    assert sep == "--", __doc__
    result = account(postmaster(psql, url), command)
    print(json.dumps(result), file=sys.stderr)
    sys.exit(result["status"])
