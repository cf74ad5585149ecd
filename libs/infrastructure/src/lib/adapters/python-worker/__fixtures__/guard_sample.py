"""A module whose functions act outside the executor worker's folder (its guard must block them) or show values
of the machine (its results must not pin them)."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time


def clean(path):
    shutil.rmtree(path)


def tidy(path):
    """Deletes `path`; says nothing when it cannot."""
    try:
        os.remove(path)
    except OSError:
        pass
    return "done"


def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return "connected"


def run(command):
    return subprocess.run(command, check=False).returncode


def shell(command):
    return os.system(command)


def stop(pid):
    os.kill(pid, signal.SIGTERM)


def save(name, text):
    with open(name, "w", encoding="utf-8") as fh:
        fh.write(text)
    with open(name, encoding="utf-8") as fh:
        return fh.read()


def setting(name):
    return os.environ[name]


def where():
    return os.getcwd()


def later(path):
    """Writes `path` from a thread, after the call returned."""

    def write():
        time.sleep(0.3)
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("late")
        except OSError:
            pass

    threading.Thread(target=write, daemon=True).start()
    return "started"


def spin():
    while True:
        pass
