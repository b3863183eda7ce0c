"""Sphinx configuration: Markdown pages (MyST) plus the API reference from docstrings."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath("../src"))

project = "oscwire"
author = "The oscwire developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
html_theme = "alabaster"
