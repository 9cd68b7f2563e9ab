#!/usr/bin/env python3
"""Print kernel modules in load order (dependencies first).

Reads the 'depends=' entry of each module's .modinfo ELF section, so no
modules.dep or depmod is needed.  Handles .ko and .ko.xz files.
Usage: moddeps.py MODULES_DIR NAME...   (prints paths relative to MODULES_DIR)
"""
import lzma
import os
import struct
import sys


def modinfo(data):
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not an ELF64 module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
    strtab = secs[shstrndx]
    for name, _typ, _flags, _addr, off, size in secs:
        end = data.index(b"\0", strtab[4] + name)
        if data[strtab[4] + name:end] == b".modinfo":
            fields = data[off:off + size].split(b"\0")
            return dict(f.decode().split("=", 1) for f in fields if b"=" in f)
    return {}


def index(root):
    mods = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith((".ko", ".ko.xz")):
                name = f.split(".ko")[0].replace("-", "_")
                mods[name] = os.path.relpath(os.path.join(d, f), root)
    return mods


def main():
    root, wanted = sys.argv[1], sys.argv[2:]
    mods = index(root)
    order, seen = [], set()

    def visit(name):
        name = name.replace("-", "_")
        if name in seen:
            return
        seen.add(name)
        if name not in mods:
            sys.exit("module %s not found under %s" % (name, root))
        path = os.path.join(root, mods[name])
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".xz"):
            data = lzma.decompress(data)
        for dep in filter(None, modinfo(data).get("depends", "").split(",")):
            visit(dep)
        order.append(mods[name])

    for w in wanted:
        visit(w)
    print("\n".join(order))


if __name__ == "__main__":
    main()
