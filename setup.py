"""Which packages the wheel carries; everything else about the project is in pyproject.toml.

The Jinja templates live at the top of the repository (templates/, the layout is fixed) and are
shipped inside the generator as ``generator.templates``, so an installed cxg-gen renders specs
anywhere, with no checkout around them.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["generator*", "runtime*", "generated*"]),
        "generator.templates",
    ],
    package_dir={"generator.templates": "templates"},
)
