#!/usr/bin/env python3
"""Write an uncompressed newc cpio archive (the format Linux unpacks as initramfs).

Usage: mkcpio.py OUT DIR [--prefix P] [--node PATH:c|b:MAJOR:MINOR]...
Packs DIR's tree (sorted, owner root, mtime 0, so the output is reproducible)
with names under P (e.g. "payload").  --node adds a device node, which needs
no root privileges here.  Hard links are stored as separate copies.
"""
import argparse
import os
import stat


def header(out, ino, mode, size, name, rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1],
              len(name_b), 0]
    out.write(b"070701" + b"".join(b"%08X" % v for v in fields) + name_b)
    out.write(b"\0" * (-(110 + len(name_b)) % 4))


def entry(out, ino, mode, name, data=b"", rdev=(0, 0)):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    header(out, ino, mode, len(data), name, rdev, nlink)
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("dir")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--node", action="append", default=[])
    a = ap.parse_args()
    ino = 1000
    prefix = a.prefix.strip("/")
    with open(a.out, "wb") as out:
        if prefix:
            parts = prefix.split("/")
            for i in range(len(parts)):
                ino += 1
                entry(out, ino, stat.S_IFDIR | 0o755, "/".join(parts[:i + 1]))
        for root, dirs, files in os.walk(a.dir):
            dirs.sort()
            for n in sorted(dirs + files):
                path = os.path.join(root, n)
                rel = os.path.relpath(path, a.dir)
                name = "/".join(filter(None, [prefix, rel]))
                st = os.lstat(path)
                perm = stat.S_IMODE(st.st_mode)
                ino += 1
                if stat.S_ISLNK(st.st_mode):
                    entry(out, ino, stat.S_IFLNK | 0o777, name,
                          os.readlink(path).encode())
                elif stat.S_ISDIR(st.st_mode):
                    entry(out, ino, stat.S_IFDIR | perm, name)
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        entry(out, ino, stat.S_IFREG | perm, name, f.read())
        for spec in a.node:
            path, kind, major, minor = spec.split(":")
            ino += 1
            typ = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
            entry(out, ino, typ | 0o600, path.strip("/"), b"",
                  (int(major), int(minor)))
        header(out, 0, 0, 0, "TRAILER!!!")
        out.write(b"\0" * (-out.tell() % 512))


if __name__ == "__main__":
    main()
