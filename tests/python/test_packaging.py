"""Packaging: one version source (include/locuskit/config.hpp) seen identically by the package
metadata, ``locuskit.__version__`` and the command line; headers and the CMake package installed
inside the Python package."""
import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys

import locuskit

ROOT = pathlib.Path(__file__).resolve().parents[2]


def config_version(path):
    text = pathlib.Path(path).read_text()
    parts = [re.search(rf"^#define LOCUSKIT_VERSION_{p} (\d+)$", text, re.M).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def test_one_version_everywhere():
    expected = config_version(ROOT / "include" / "locuskit" / "config.hpp")
    assert locuskit.__version__ == expected
    assert importlib.metadata.version("locuskit") == expected
    out = subprocess.run([sys.executable, "-m", "locuskit", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"locuskit {expected} ")


def test_headers_and_cmake_package_inside_the_package():
    pkg = pathlib.Path(locuskit.__file__).resolve().parent
    inc = pathlib.Path(locuskit.get_include())
    cmake_dir = pathlib.Path(locuskit.get_cmake_dir())
    assert inc == pkg / "include" and cmake_dir == pkg / "share" / "cmake" / "locuskit"
    assert config_version(inc / "locuskit" / "config.hpp") == locuskit.__version__
    assert (cmake_dir / "locuskitConfig.cmake").is_file() and (cmake_dir / "locuskitCocoJsonTargets.cmake").is_file()
    site = pkg.parent
    assert not (site / "include" / "locuskit").exists() and not (site / "lib" / "cmake" / "locuskit").exists()


def test_license_in_metadata():
    dist = importlib.metadata.distribution("locuskit")
    assert dist.metadata["License"] == "Apache-2.0"
    lic = [f for f in dist.files if f.name == "LICENSE"]
    assert lic and "Apache License" in lic[0].read_text()
    assert os.path.basename(str(lic[0].parent)) == "licenses"
