"""Packs the repository's one config.yaml into the wheel as core/default_config.yaml.

setuptools can only package files inside a package folder; copying at build time
keeps a single tracked config (no copy in the tree that could drift).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithDefaultConfig(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "core" / "default_config.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file("config.yaml", str(target))


setup(cmdclass={"build_py": BuildWithDefaultConfig})
