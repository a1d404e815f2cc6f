# Python API reference (Sphinx autodoc of the installed package): scripts/build-docs runs
# `python -m sphinx -W -b html docs/api/python <out>` with the interpreter that has locuskit.
import locuskit

project = "locuskit"
copyright = "the locuskit authors; Apache-2.0"
version = release = locuskit.__version__
extensions = ["sphinx.ext.autodoc"]
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "signature"
add_module_names = False
html_theme = "alabaster"
html_static_path: list = []
exclude_patterns: list = []
