#!/usr/bin/env python3
"""Extract the uncompressed ELF vmlinux from an x86 bzImage.

Reads the boot protocol header (payload_offset/payload_length, protocol >= 2.08),
identifies the compression from the payload's magic bytes and decompresses it.
Usage: extract_vmlinux.py BZIMAGE OUT
"""
import gzip
import lzma
import shutil
import struct
import subprocess
import sys


def payload(img):
    if img[0x202:0x206] != b"HdrS":
        sys.exit("not a bzImage (no HdrS signature)")
    version = struct.unpack_from("<H", img, 0x206)[0]
    if version < 0x208:
        sys.exit("boot protocol %#x too old (need >= 2.08)" % version)
    setup_sects = img[0x1F1] or 4
    offset, length = struct.unpack_from("<II", img, 0x248)
    start = (setup_sects + 1) * 512 + offset
    return img[start:start + length]


def decompress(data):
    if data.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if data.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=__import__("io").BytesIO(data)).read()
    if data.startswith(b"\x5d\x00\x00"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        if not shutil.which("zstd"):
            sys.exit("zstd-compressed kernel: install the zstd package")
        return subprocess.run(["zstd", "-dcq"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    sys.exit("unknown kernel compression, magic %s" % data[:6].hex())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        img = f.read()
    elf = decompress(payload(img))
    if elf[:4] != b"\x7fELF":
        sys.exit("decompressed payload is not an ELF file")
    with open(sys.argv[2], "wb") as f:
        f.write(elf)


if __name__ == "__main__":
    main()
