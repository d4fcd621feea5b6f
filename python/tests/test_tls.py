"""TLS on the client port: Client, Pool, AsyncClient and the CLI, with a
certificate made by openssl for the test."""

import asyncio
import gc
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
import warnings

from vanity import AsyncClient, Client, Pool, ServerHandle

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@unittest.skipIf(shutil.which("openssl") is None, "openssl is needed to make a test certificate")
class TLSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vanity-tls-")
        cls.cert, cls.key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", cls.key, "-out", cls.cert, "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
        cls.server = ServerHandle(port=0, cwd=cls.tmp, extra_args=[
            "--bcrypt-cost=4", "--tls-cert=" + cls.cert, "--tls-key=" + cls.key]).start()
        cls.ctx = ssl.create_default_context(cafile=cls.cert)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_client_and_pool(self):
        with Client("127.0.0.1", self.server.port, ssl_context=self.ctx) as c:
            self.assertTrue(c.set("k", "v").is_ok())
            self.assertEqual(c.get("k").value, "v")
        with Pool("127.0.0.1", self.server.port, size=2, ssl_context=self.ctx) as p:
            self.assertEqual(p.get("k").value, "v")

    def test_untrusted_and_plain_clients_fail(self):
        with self.assertRaises(ssl.SSLError):
            Client("127.0.0.1", self.server.port, ssl_context=ssl.create_default_context())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            with self.assertRaises((ConnectionError, OSError)):
                Client("127.0.0.1", self.server.port, timeout=2)
            gc.collect()
        # A client whose login failed closed its socket: none is left to the collector.
        self.assertEqual([w for w in caught if issubclass(w.category, ResourceWarning)], [])

    def test_async_client(self):
        async def main():
            c = await AsyncClient.connect("127.0.0.1", self.server.port, ssl_context=self.ctx)
            self.assertTrue((await c.ping()).is_pong())
            await c.close()
        asyncio.run(main())

    def test_cli(self):
        p = subprocess.run([sys.executable, "-m", "vanity", "-p", str(self.server.port), "--tls-ca", self.cert,
                            "ping", "hi"], capture_output=True, text=True, cwd=PYTHON_DIR, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, '"hi"\n'), p.stderr)
