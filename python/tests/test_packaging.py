"""`pip install ./python` works offline into a fresh virtual environment,
and the installed package and console script work."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, PYTHON_DIR)
import build_backend  # noqa: E402


class PackagingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vanity-pkg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_wheel_contents(self):
        name = build_backend.build_wheel(self.tmp)
        with zipfile.ZipFile(os.path.join(self.tmp, name)) as z:
            names = z.namelist()
            self.assertIn("vanity/__init__.py", names)
            self.assertIn("vanity/client.py", names)
            info = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
            self.assertTrue(info)
            self.assertIn(b"vanity-cli = vanity.cli:main", z.read(info[0]))
            self.assertFalse([n for n in names if "tests/" in n or "__pycache__" in n])
            self.assertIn("vanity/py.typed", names)
        sdist = build_backend.build_sdist(self.tmp)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, sdist)))

    def test_pip_install_offline(self):
        venv = os.path.join(self.tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
        py = os.path.join(venv, "bin", "python")
        p = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-cache-dir", PYTHON_DIR],
                           capture_output=True, text=True, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = subprocess.run([py, "-c", "import vanity, sys; print(vanity.__file__)"],
                           capture_output=True, text=True, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(venv, p.stdout)
        cli = os.path.join(venv, "bin", "vanity-cli")
        p = subprocess.run([cli, "--help"], capture_output=True, text=True, cwd=self.tmp)
        self.assertIn("usage: vanity-cli", p.stdout)
