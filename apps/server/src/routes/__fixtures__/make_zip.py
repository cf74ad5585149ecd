"""Writes the zip archives the archive-upload spec sends (Python's zipfile: a second, independent zip writer).

usage: make_zip.py OUT KIND [SOURCE]
  ok        SOURCE as calc/calculator.py
  slip      ../evil.py
  absolute  /tmp/evil-absolute.py
  symlink   link.py -> /etc/passwd (a Unix symlink entry)
  many      10,000 small files
  bomb      one 100 MiB file of zeros (about 100 KiB deflated)
  liar      a 20 MiB file whose headers say it holds 10 bytes
"""
import struct
import sys
import zipfile

out, kind = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
    if kind == "ok":
        with open(sys.argv[3], "rb") as f:
            z.writestr("calc/calculator.py", f.read())
    elif kind == "slip":
        z.writestr("../evil.py", "X = 1\n")
    elif kind == "absolute":
        z.writestr("/tmp/evil-absolute.py", "X = 1\n")
    elif kind == "symlink":
        info = zipfile.ZipInfo("link.py")
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/passwd")
    elif kind == "many":
        for i in range(10_000):
            z.writestr(f"pkg/m{i}.py", f"X = {i}\n")
    elif kind in ("bomb", "liar"):
        size = 100 * 1024 * 1024 if kind == "bomb" else 20 * 1024 * 1024
        z.writestr("big.py", b"\0" * size)
    else:
        raise SystemExit(f"unknown kind {kind}")

if kind == "liar":
    # Both headers (local at offset 22, central at 24 past their signatures) claim 10 bytes.
    data = bytearray(open(out, "rb").read())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 10)
    struct.pack_into("<I", data, central + 24, 10)
    open(out, "wb").write(bytes(data))
