"""The guard: an audit hook that blocks and records what the code under test does outside the worker's scratch
folder (writes, deletes, network, processes, signals)."""

import _thread
import errno
import os
import socket
import sys


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
NO_DIR_FD = (None, -1, getattr(os, "AT_FDCWD", -100))
MAX_EFFECTS = 10
MAX_EFFECT_TEXT = 160


def fd_folder(fd):
    """The folder an open directory descriptor names (Linux), or None when it cannot be told."""
    try:
        return os.readlink(f"/proc/self/fd/{int(fd)}")
    except (OSError, ValueError, TypeError):
        return None


def short(text):
    text = str(text)
    return text if len(text) <= MAX_EFFECT_TEXT else text[:MAX_EFFECT_TEXT - 3] + "..."


def format_address(address):
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        host = address[0].decode("utf-8", "replace") if isinstance(address[0], bytes) else str(address[0])
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    if isinstance(address, bytes):
        address = address.decode("utf-8", "replace")
    return short(address if isinstance(address, str) else repr(address))


def command_text(args):
    if isinstance(args, bytes):
        args = os.fsdecode(args)
    if isinstance(args, (list, tuple)):
        args = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else a for a in args]
    return short(repr(args))


class Guard:
    """An audit hook (``sys.addaudithook``) that blocks, with ``PermissionError``, and records what code under test
    tries to do outside the worker's scratch folder: write, create, change, move or delete a file there, use the
    network (anything but a Unix socket inside the folder), start a process or send a signal. Reads are never
    guarded. It acts while ``active`` (the module's import, each plan) and, once armed, in every thread but the
    worker's own, so a thread the code started keeps being watched after its call returned."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.prefix = self.root.rstrip(os.sep) + os.sep
        self.active = False
        self.armed = False
        self.blocking = True
        self.main_thread = _thread.get_ident()
        self.effects = []
        self.handlers = self.event_handlers()
        sys.addaudithook(self.hook)

    def start(self, keep=False, block=True):
        """Watches from now on; with ``block`` False (the import inside bubblewrap, which contains it) it records
        what the code tries without refusing it, so a module that runs ``git`` at import still imports."""
        if not keep:
            self.effects = []
        self.blocking = block
        self.armed = True
        self.active = True

    def stop(self):
        self.active = False
        return list(self.effects)

    def hook(self, event, args):
        handler = self.handlers.get(event)
        if handler is None or not (self.active or (self.armed and _thread.get_ident() != self.main_thread)):
            return
        what = handler(args)
        if what is not None:
            if what not in self.effects and len(self.effects) < MAX_EFFECTS:
                self.effects.append(what)
            if self.blocking:
                raise PermissionError(errno.EPERM, f"blocked by Test Agent's sandbox: {what}")

    def event_handlers(self):
        at = lambda a, i: a[i] if len(a) > i else None  # noqa: E731 - argument i of an event, if it has one
        check = self.check
        delete = lambda a: check("delete", a[0], at(a, 1), follow=False)  # noqa: E731
        change = lambda a: check("change", a[0])  # noqa: E731
        spawn = lambda i: lambda a: f"spawn {command_text(at(a, i))}"  # noqa: E731
        handlers = {
            "open": self.on_open,
            "os.remove": delete, "os.rmdir": delete, "shutil.rmtree": delete,
            "os.rename": lambda a: check("move", a[0], at(a, 2), follow=False) or check("move", a[1], at(a, 3), follow=False),
            "shutil.move": lambda a: check("move", a[0], follow=False) or check("move", a[1]),
            "os.mkdir": self.on_mkdir,
            "os.chmod": lambda a: check("change", a[0], at(a, 2)),
            "os.chown": lambda a: check("change", a[0], at(a, 3)),
            "os.utime": lambda a: check("change", a[0], at(a, 3)),
            "os.truncate": lambda a: check("write", a[0]),
            "os.chflags": change, "os.lchflags": change, "os.setxattr": change, "os.removexattr": change,
            "shutil.chown": change,
            "os.link": lambda a: check("link", a[1], at(a, 3), follow=False) or check("link", a[0], at(a, 2)),
            "os.symlink": lambda a: check("link", a[1], at(a, 2), follow=False),
            "shutil.copyfile": lambda a: check("write", a[1]), "shutil.copymode": lambda a: check("change", a[1]),
            "shutil.copystat": lambda a: check("change", a[1]), "shutil.copytree": lambda a: check("write", a[1]),
            "shutil.make_archive": lambda a: check("write", a[0]),
            "shutil.unpack_archive": lambda a: check("write", at(a, 1) or ".", root_ok=True),
            "subprocess.Popen": spawn(1), "os.system": spawn(0), "os.exec": spawn(1), "os.posix_spawn": spawn(1),
            "os.spawn": spawn(2), "pty.spawn": spawn(0),
            "os.fork": lambda a: "spawn fork", "os.forkpty": lambda a: "spawn forkpty",
            "os.kill": lambda a: f"signal {a[0]}", "os.killpg": lambda a: f"signal group {a[0]}",
            "signal.pthread_kill": lambda a: f"signal thread {a[0]}",
        }
        for event, verb in (("socket.connect", "connect"), ("socket.bind", "bind"), ("socket.sendto", "send"), ("socket.sendmsg", "send")):
            handlers[event] = self.network(verb)
        return handlers

    def on_open(self, args):
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int):
            return None
        write = (flags & WRITE_FLAGS) if isinstance(flags, int) else any(c in str(mode or "") for c in "wax+")
        return self.check("write", path) if write else None

    def on_mkdir(self, args):
        real = self.where(args[0], args[2] if len(args) > 2 else None, follow=False)
        if self.inside(real):
            return None
        if real and os.path.lexists(real):
            # It would fail anyway: the error the call expects (``makedirs(..., exist_ok=True)`` relies on it).
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fsdecode(os.fspath(args[0])))
        return f"create {short(real)}"

    def network(self, verb):
        def handler(args):
            address = args[1] if len(args) > 1 else None
            if address is None:
                return None  # sendmsg on a connected socket: its connect was checked
            unix = getattr(socket, "AF_UNIX", None)
            if unix is not None and getattr(args[0], "family", None) == unix and isinstance(address, (str, bytes)):
                if address[:1] not in ("\0", b"\0") and self.inside(self.where(address)):
                    return None
            return f"{verb} {format_address(address)}"
        return handler

    def check(self, verb, path, dir_fd=None, follow=True, root_ok=False):
        """`verb path` when `path` is outside the scratch folder, else None."""
        real = self.where(path, dir_fd, follow)
        if self.inside(real) or (root_ok and real == self.root):
            return None
        return f"{verb} {short(real)}"

    def inside(self, real):
        return real is None or real.startswith(self.prefix) or real == os.devnull

    def where(self, path, dir_fd=None, follow=True):
        """The real absolute path `path` names ('?' when unknown); None for an open descriptor (checked when it
        was opened). Without `follow`, the last part is not resolved: deleting a link deletes the link."""
        if isinstance(path, int):
            return None
        try:
            p = os.fsdecode(os.fspath(path))
            if not os.path.isabs(p):
                base = os.getcwd() if dir_fd in NO_DIR_FD else fd_folder(dir_fd)
                if base is None:
                    return "?"
                p = os.path.join(base, p)
            if follow:
                return os.path.realpath(p)
            head, tail = os.path.split(p.rstrip(os.sep) or os.sep)
            if tail in ("", ".", ".."):
                return os.path.realpath(p)
            return os.path.join(os.path.realpath(head), tail)
        except (OSError, TypeError, ValueError):
            return "?"
