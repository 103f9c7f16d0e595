"""Build the Lambda package (``lambda_package/pitr.zip``) byte for byte the same on every machine.

The archive provider's ``data "archive_file"`` builds at plan time into the working directory, so a
plan and an apply in separate CI jobs lose the file (its documentation: "The archive is built during
the terraform plan, so you must persist the archive through to the terraform apply"; the
``archive_file`` *resource* does not help either: aws-ia/terraform-aws-control_tower_account_factory
#633 shows an existing resource whose sources changed planning an update without rebuilding the zip
at apply). The package is therefore committed with the module and read with ``filebase64sha256``:
it travels with the module source, so every job that has the module has the package.
``tests/test_package.py`` fails when it no longer matches ``lambda_src`` (``make package`` rebuilds it).

Deterministic: files sorted, fixed timestamp (1980-01-01, the earliest ZIP time), mode 0644, no
directory entries, no ``__pycache__``/``*.pyc``/tests, stored uncompressed (deflate output differs
between zlib builds; git and S3 compress anyway, and the package is far below Lambda's 50 MB).

Usage: ``python -m tools.build_package [--check]``.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "lambda_src"
PACKAGE = REPO / "lambda_package" / "pitr.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXCLUDED_DIRS = {"__pycache__", "tests"}


def package_files(source: Path = SOURCE) -> list[Path]:
    """Every file the functions need, in a stable order."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and not _EXCLUDED_DIRS.intersection(path.relative_to(source).parts)
    )


def build(source: Path = SOURCE) -> bytes:
    """The package's bytes: the same input files always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in package_files(source):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so the mode bits are read on every platform
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    built = build()
    if "--check" in argv:
        current = PACKAGE.read_bytes() if PACKAGE.exists() else b""
        if current != built:
            print(f"{PACKAGE.relative_to(REPO)} is out of date with lambda_src: run `make package`.")
            return 1
        return 0
    PACKAGE.parent.mkdir(parents=True, exist_ok=True)
    PACKAGE.write_bytes(built)
    print(f"wrote {PACKAGE.relative_to(REPO)} ({len(built)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
