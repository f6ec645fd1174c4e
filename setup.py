"""How the wheel is built. pyproject.toml holds the project; this adds the two things it cannot say:

- The folders the project is laid out with at the top (templates/, static/, migrations/) ship inside the
  package, as booking/templates, booking/static and booking/migrations: `package_dir` maps each package name
  to its folder. `booking.config.shipped` finds them there once installed, beside the package in a checkout.
- The translation catalogs are compiled (.po to .mo) into the build, since git keeps only the .po files.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import find_namespace_packages, find_packages, setup
from setuptools.command.build_py import build_py

SHIPPED = {"booking.templates": "templates", "booking.static": "static", "booking.migrations": "migrations"}


def shipped_packages() -> list[str]:
    """Each shipped folder and its subfolders as packages (setuptools treats every folder as one)."""
    names = []
    for package, folder in SHIPPED.items():
        inside = find_namespace_packages(where=folder, exclude=["__pycache__", "*.__pycache__"])
        names += [package, *(f"{package}.{name}" for name in inside)]
    return names


class BuildWithCatalogs(build_py):
    """build_py, then every booking/translations/<locale>/LC_MESSAGES/*.po compiled beside itself."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout, compiled by `make translations`
            return
        for po in Path(self.build_lib, "booking", "translations").glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)


setup(
    packages=[
        *find_packages(include=["booking", "booking.*", "models", "models.*"]),
        *find_namespace_packages(include=["booking.translations", "booking.translations.*"]),
        *shipped_packages(),
    ],
    package_dir=SHIPPED,
    package_data={
        "booking": ["translations/*/LC_MESSAGES/*.po"],
        "booking.demo_data": ["*.toml"],
        "booking.templates": ["**/*.html", "**/*.txt"],
        "booking.static": ["**/*"],
        "booking.migrations": ["README", "alembic.ini", "script.py.mako", "versions/*.py"],
    },
    cmdclass={"build_py": BuildWithCatalogs},
)
