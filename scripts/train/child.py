"""What every script `coachspool` runs in the trainer's environment shares: progress lines, the
exit status 3 for inputs it cannot use, and living and dying with its parent."""
import json, os, signal, sys, tempfile, threading, time


class Unusable(Exception):
    """The inputs (a model folder, an adapter, a chat template, an export, a request) cannot be
    used: exit status 3, with the message on stderr (paths and field names, never data)."""


def progress(**fields):
    """One line `progress {json}` on stdout: what `coachspool` shows while it waits."""
    print("progress " + json.dumps(fields, ensure_ascii=False), flush=True)


def start():
    """`coachspool` forwards SIGTERM/SIGINT to us, but Foundation's Process starts us with the
    signal mask of the thread that spawned us, where they are blocked: unblock them. If the
    parent dies (kill -9), stop too rather than run on alone."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run(main):
    """`sys.exit(main(argv))`, with Unusable as exit status 3."""
    try:
        sys.exit(main(sys.argv[1:]))
    except Unusable as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(3)


def write_atomically(path, write):
    """`write(temp_path)` into a temporary file beside `path`, then renamed over it: a reader sees
    the old file or the whole new one, never a part."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    os.close(fd)
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
