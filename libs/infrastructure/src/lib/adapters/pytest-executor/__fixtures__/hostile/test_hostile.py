"""Hostile tests: each must be contained and classified while the rest of the run still reports."""
import ctypes
import os
import shutil
import sys

from shop.pricing import classify, total


def test_passes_before():
    assert classify(-5) == "negative"


def test_infinite_loop():
    while True:
        pass


def test_exits_the_process():
    os._exit(0)


def test_deletes_files_in_cwd():
    with open("scratch.txt", "w") as handle:
        handle.write("mine")
    for name in os.listdir("."):
        if os.path.isdir(name):
            shutil.rmtree(name)
        else:
            os.remove(name)
    assert os.listdir(".") == []


def test_segfault():
    ctypes.string_at(0)


def test_prints_100_mb(capfd):
    chunk = "x" * 1024 * 1024
    with capfd.disabled():  # past pytest's capture: 100 MB down the executor's stdout pipe
        for _ in range(100):
            sys.stdout.write(chunk)
        sys.stdout.flush()
    assert total([]) == 0


def test_allocates_too_much_memory():
    blob = bytearray(8 * 1024 ** 3)
    assert len(blob) > 0


def test_fails_plainly():
    assert classify(0) == "positive"


def test_passes_after():
    assert classify(0) == "zero"


def test_ignores_the_timeout_signal():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
