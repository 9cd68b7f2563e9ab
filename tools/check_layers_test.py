#!/usr/bin/env python3
"""Tests of tools/check_layers.py on small trees written to a temporary folder:
a clean one must pass, and each deliberately wrong include must fail with its
file, line and layers named."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")

# One file per layer, every include allowed (arch and xen both ways, a relative
# include, a generated header, a build tree and tests/ that are not checked).
CLEAN_TREE = {
    "base/error.h": "#pragma once\n#include <stdint.h>\n",
    "base/log.cpp": '#include "base/error.h"\n#include <stdio.h>\n',
    "arch/x86_64/layout.h": '#pragma once\n#include "base/error.h"\n',
    "arch/x86_64/boot.S": '#include "layout.h"\n#include "xen/abi.h"\n',
    "xen/abi.h": '#include <xen/xen.h>\n#include "arch/x86_64/layout.h"\n',
    "kernel/memory.h": '#include "xen/abi.h"\n#include "base/error.h"\n',
    "kernel/main_loop.cpp": '#include "kernel/memory.h"\n#include "kernel/version.h"\n',
    "drivers/console/ring.h": '#include "kernel/memory.h"\n',
    "drivers/console/ring.cpp": '#include "drivers/console/ring.h"\n',
    "drivers/xenstore/client.cpp": '#include "base/error.h"\n#include "kernel/memory.h"\n',
    "suspend/suspend.h": '#include "drivers/xenstore/client.cpp"\n',
    "apps/demo/demo.cpp": '#include "suspend/suspend.h"\n#include "drivers/console/ring.h"\n',
    "main/boot.cpp": '#include "apps/demo/demo.cpp"\n#include "suspend/suspend.h"\n',
    "tests/unit/ring_test.cpp": '#include "main/boot.cpp"\n',
    "tools/x.cpp": '#include "main/boot.cpp"\n',
    "build/CMakeCache.txt": "",
    "build/CMakeFiles/probe.cpp": '#include "nowhere.h"\n',
}


def write_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def run_checker(files):
    with tempfile.TemporaryDirectory() as root:
        write_tree(root, files)
        p = subprocess.run([sys.executable, CHECKER, "--root", root],
                           capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


class CheckLayersTest(unittest.TestCase):
    def test_clean_tree_passes(self):
        rc, out = run_checker(CLEAN_TREE)
        self.assertEqual(rc, 0, out)
        self.assertIn("all downward", out)

    def test_empty_tree_fails(self):
        rc, out = run_checker({"README.md": "nothing\n"})
        self.assertEqual(rc, 1, out)

    def assert_rejected(self, path, text, expected):
        tree = dict(CLEAN_TREE)
        tree[path] = text
        rc, out = run_checker(tree)
        self.assertEqual(rc, 1, out)
        self.assertIn(expected, out)
        self.assertEqual(out.count("\n"), 2, out)  # the violation and the summary

    def test_base_including_kernel(self):
        self.assert_rejected(
            "base/log.cpp", '#include "base/error.h"\n\n#include "kernel/memory.h"\n',
            'base/log.cpp:3: "kernel/memory.h" goes up from base to kernel')

    def test_platform_including_kernel(self):
        self.assert_rejected("xen/grants.cpp", '#include "kernel/memory.h"\n',
                             'xen/grants.cpp:1: "kernel/memory.h" goes up from platform to kernel')

    def test_arch_including_the_root(self):
        self.assert_rejected("arch/x86_64/start.cpp", '  #  include "main/boot.cpp"\n',
                             'arch/x86_64/start.cpp:1: "main/boot.cpp" goes up from platform to main')

    def test_assembly_including_drivers(self):
        self.assert_rejected("arch/x86_64/entry.S", '\n#include "drivers/console/ring.h"\n',
                             'arch/x86_64/entry.S:2: "drivers/console/ring.h" goes up from '
                             'platform to drivers')

    def test_kernel_including_a_driver(self):
        self.assert_rejected("kernel/smp.cpp", '#include "drivers/xenstore/client.cpp"\n',
                             'kernel/smp.cpp:1: "drivers/xenstore/client.cpp" goes up from '
                             'kernel to drivers')

    def test_kernel_including_suspend(self):
        self.assert_rejected("kernel/k.cpp", '#include "suspend/suspend.h"\n',
                             'kernel/k.cpp:1: "suspend/suspend.h" goes up from kernel to suspend')

    def test_driver_including_a_sibling_driver(self):
        self.assert_rejected("drivers/xenstore/client.h", '#include "drivers/console/ring.h"\n',
                             'drivers/xenstore/client.h:1: "drivers/console/ring.h" goes '
                             'sideways from drivers/xenstore to drivers/console')

    def test_suspend_including_the_root(self):
        self.assert_rejected("suspend/s.cpp", '#include "main/boot.cpp"\n',
                             'suspend/s.cpp:1: "main/boot.cpp" goes up from suspend to main')

    def test_app_including_the_root(self):
        self.assert_rejected("apps/demo/x.cpp", '#include "main/boot.cpp"\n',
                             'apps/demo/x.cpp:1: "main/boot.cpp" goes up from apps to main')

    def test_relative_include_going_up(self):
        self.assert_rejected("kernel/x.cpp", '#include "../main/boot.cpp"\n',
                             'kernel/x.cpp:1: "../main/boot.cpp" goes up from kernel to main')

    def test_generated_header_of_a_higher_layer(self):
        self.assert_rejected("xen/v.cpp", '#include "kernel/version.h"\n',
                             'xen/v.cpp:1: "kernel/version.h" goes up from platform to kernel')

    def test_include_found_nowhere(self):
        self.assert_rejected("kernel/y.cpp", '#include "nowhere.h"\n',
                             'kernel/y.cpp:1: "nowhere.h" is in no layer')

    def test_include_of_tests(self):
        self.assert_rejected("kernel/z.cpp", '#include "tests/unit/ring_test.cpp"\n',
                             'kernel/z.cpp:1: "tests/unit/ring_test.cpp" goes outside the layers')

    def test_angle_include_of_a_tree_file(self):
        self.assert_rejected("base/a.h", "#include <kernel/memory.h>\n",
                             "base/a.h:1: <kernel/memory.h> is a file of the tree")

    def test_new_top_level_folder(self):
        self.assert_rejected("net/netfront.cpp", '#include "base/error.h"\n',
                             "net/netfront.cpp:1: net/ is in no layer")


if __name__ == "__main__":
    unittest.main()
