"""A minimal PEP 517 build backend using only the standard library.

It builds a pure-Python wheel of the `vanity` package (and an sdist) from
the metadata in pyproject.toml, so installing needs no package index:
`pip install ./python`.
"""

import base64
import hashlib
import os
import tarfile
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _project():
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _metadata(p):
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % p["name"],
        "Version: %s" % p["version"],
        "Summary: %s" % p.get("description", ""),
        "Requires-Python: %s" % p.get("requires-python", ">=3"),
    ]
    readme = os.path.join(HERE, p.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _package_files():
    root = os.path.join(HERE, "vanity")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in sorted(filenames):
            if name.endswith(".py") or name == "py.typed":  # py.typed: the package has type hints (PEP 561)
                full = os.path.join(dirpath, name)
                yield full, os.path.relpath(full, HERE).replace(os.sep, "/")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _dist_info(p):
    return "%s-%s.dist-info" % (p["name"], p["version"])


def _dist_info_files(p):
    scripts = p.get("scripts", {})
    files = {
        "METADATA": _metadata(p),
        "WHEEL": "Wheel-Version: 1.0\nGenerator: vanity build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "top_level.txt": "vanity\n",
    }
    if scripts:
        files["entry_points.txt"] = "[console_scripts]\n" + "".join(
            "%s = %s\n" % (k, v) for k, v in scripts.items())
    return files


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    p = _project()
    d = os.path.join(metadata_directory, _dist_info(p))
    os.makedirs(d, exist_ok=True)
    for name, text in _dist_info_files(p).items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
    return _dist_info(p)


def _write_wheel(wheel_directory, entries):
    p = _project()
    name = "%s-%s-py3-none-any.whl" % (p["name"], p["version"])
    info = _dist_info(p)
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in entries:
            z.writestr(arcname, data)
            record.append(_record_line(arcname, data))
        for fname, text in _dist_info_files(p).items():
            data = text.encode("utf-8")
            z.writestr("%s/%s" % (info, fname), data)
            record.append(_record_line("%s/%s" % (info, fname), data))
        record.append("%s/RECORD,," % info)
        z.writestr("%s/RECORD" % info, "\n".join(record) + "\n")
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for full, arc in _package_files():
        with open(full, "rb") as f:
            entries.append((arc, f.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file pointing at this directory makes the package importable in place.
    return _write_wheel(wheel_directory, [("vanity_editable.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    p = _project()
    base = "%s-%s" % (p["name"], p["version"])
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for rel in ("pyproject.toml", "build_backend.py", "README.md"):
            full = os.path.join(HERE, rel)
            if os.path.exists(full):
                t.add(full, arcname="%s/%s" % (base, rel))
        for full, arc in _package_files():
            t.add(full, arcname="%s/%s" % (base, arc))
        pkg_info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = _metadata(p).encode("utf-8")
        pkg_info.size = len(data)
        import io
        t.addfile(pkg_info, io.BytesIO(data))
    return name
