#!/usr/bin/env python3
"""Checks that every #include "..." in torpor's sources goes down the layers.

The layers, lowest first (a file may include its own layer and those below):

    base      errors, strings, rings, locks, grant-ref free list, log/panic
    platform  arch/ and xen/ (they may include each other)
    kernel    kernel/ (the generated kernel/version.h counts as kernel)
    drivers   drivers/<device>/: never a sibling device's folder
    suspend   suspend/
    apps      apps/<app>/: the application linked in (never another app)
    main      main/: the composition root, the only place that knows every layer

tests/, tools/, docs/, cmake/, hidden folders and build trees (a folder with a
CMakeCache.txt) are outside the layers and not checked. A source file in any
other top-level folder is an error until this script is told its layer.

A quoted include is resolved like the compiler does (next to the including file,
then from the root); one that is in no file of the tree is placed by its first
folder (generated headers), or reported. An angle include of a file in the tree
is reported too (it would bypass this check).

Prints one line per violation, `file:line: "include" goes up from A to B`,
and exits 1 if there is any; exits 0 with a one-line summary otherwise.
"""
import argparse
import os
import re
import sys

LAYERS = [
    ("base", ["base"]),
    ("platform", ["arch", "xen"]),
    ("kernel", ["kernel"]),
    ("drivers", ["drivers"]),
    ("suspend", ["suspend"]),
    ("apps", ["apps"]),
    ("main", ["main"]),
]
# Layers made of independent units (one folder each) that must not include each other.
UNIT_LAYERS = {"drivers", "apps"}
OUTSIDE = {"tests", "tools", "docs", "cmake"}
SOURCE_SUFFIXES = (".c", ".cpp", ".h", ".hpp", ".S")

RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
LAYER_OF_FOLDER = {folder: name for name, folders in LAYERS for folder in folders}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(path):
    """The layer of a root-relative path, or None outside every layer."""
    return LAYER_OF_FOLDER.get(path.split("/", 1)[0])


def unit_of(path):
    """drivers/console/x.h -> drivers/console."""
    return "/".join(path.split("/")[:2])


def is_build_tree(directory):
    return os.path.exists(os.path.join(directory, "CMakeCache.txt"))


def source_files(root, problems):
    for top in sorted(os.listdir(root)):
        top_dir = os.path.join(root, top)
        if not os.path.isdir(top_dir) or top.startswith(".") or top in OUTSIDE:
            continue
        if is_build_tree(top_dir):
            continue
        known = top in LAYER_OF_FOLDER
        for directory, subdirs, files in os.walk(top_dir):
            subdirs[:] = sorted(d for d in subdirs
                                if not is_build_tree(os.path.join(directory, d)))
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.relpath(os.path.join(directory, name), root)
                if known:
                    yield path
                else:
                    problems.append(f"{path}:1: {top}/ is in no layer "
                                    "(add it to LAYERS in tools/check_layers.py)")


def resolve(root, including, name):
    """Root-relative path of a quoted include, or None if no file in the tree."""
    for base in (os.path.dirname(including), ""):
        candidate = os.path.normpath(os.path.join(base, name))
        if not candidate.startswith("..") and os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def check_include(root, path, line_no, bracket, name):
    """The violation for one include line, or None."""
    where = f"{path}:{line_no}"
    source_layer = layer_of(path)
    if bracket == "<":
        if os.path.isfile(os.path.join(root, name)) and layer_of(name):
            return f'{where}: <{name}> is a file of the tree: include it with quotes'
        return None
    target = resolve(root, path, name)
    if target is None:
        if layer_of(name) is None:
            return f'{where}: "{name}" is in no layer (no such file in the tree)'
        target = os.path.normpath(name)  # generated (kernel/version.h): by its folder
    target_layer = layer_of(target)
    if target_layer is None:
        return f'{where}: "{name}" goes outside the layers ({target})'
    if RANK[target_layer] > RANK[source_layer]:
        return f'{where}: "{name}" goes up from {source_layer} to {target_layer}'
    if (target_layer == source_layer and source_layer in UNIT_LAYERS
            and unit_of(target) != unit_of(path)):
        return (f'{where}: "{name}" goes sideways from {unit_of(path)} '
                f'to {unit_of(target)}')
    return None


def check(root):
    problems = []
    files = includes = 0
    for path in source_files(root, problems):
        files += 1
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for line_no, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                includes += 1
                problem = check_include(root, path, line_no, m.group(1), m.group(2))
                if problem:
                    problems.append(problem)
    return files, includes, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), help="source tree to check (default: this one)")
    args = parser.parse_args()
    files, includes, problems = check(args.root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"layers: {len(problems)} include(s) against the layer order "
              f"({' < '.join(name for name, _ in LAYERS)})")
        return 1
    if files == 0:
        print(f"layers: no source files under {args.root}")
        return 1
    print(f"layers: {includes} includes in {files} files, all downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
