"""The Python examples of the READMEs run as shown (against a server on a
free port rather than 9955)."""

import doctest
import os
import re
import unittest

from .support import REPO, ServerTestCase


def examples(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


class ReadmeTest(ServerTestCase):
    def check(self, path):
        blocks = [b for b in examples(path) if ">>>" in b]
        self.assertTrue(blocks, "no Python example in %s" % path)
        for block in blocks:
            block = block.replace("9955", str(self.server.port))
            test = doctest.DocTestParser().get_doctest(block, {}, path, path, 0)
            runner = doctest.DocTestRunner()
            runner.run(test, clear_globs=False)  # the example's clients are closed first
            for v in test.globs.values():
                if hasattr(v, "close") and not isinstance(v, type):
                    v.close()
            test.globs.clear()
            self.assertEqual(runner.failures, 0, "example in %s failed" % path)

    def test_root_readme(self):
        self.check(os.path.join(REPO, "README.md"))

    def test_python_readme(self):
        self.check(os.path.join(REPO, "python", "README.md"))
