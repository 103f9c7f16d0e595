"""The committed Lambda package is exactly what ``make package`` builds from lambda_src.

The module deploys ``lambda_package/pitr.zip`` as committed (``filebase64sha256`` at plan, the same
file at apply, in any job that has the module source), so a stale package would deploy old code.
"""

from __future__ import annotations

import io
import zipfile

from tools import build_package


def test_committed_package_matches_the_sources() -> None:
    assert build_package.PACKAGE.read_bytes() == build_package.build(), (
        f"{build_package.PACKAGE.relative_to(build_package.REPO)} is out of date with lambda_src: "
        "run `make package` and commit the result"
    )


def test_build_is_reproducible_and_holds_every_handler_module() -> None:
    first, second = build_package.build(), build_package.build()
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == sorted(names)
    sources = {p.relative_to(build_package.SOURCE).as_posix() for p in build_package.SOURCE.rglob("*.py")}
    expected = {name for name in sources if "__pycache__" not in name and "/tests/" not in name}
    assert expected <= set(names), sorted(expected - set(names))
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    for handler in ("pitr/cdc_subscriber.py", "pitr/replay_writer.py", "pitr/restore_waiter.py"):
        assert handler in names


def test_build_ignores_timestamps_and_bytecode(tmp_path) -> None:
    source = tmp_path / "src"
    (source / "pitr" / "__pycache__").mkdir(parents=True)
    (source / "pitr" / "a.py").write_text("A = 1\n")
    (source / "pitr" / "__pycache__" / "a.cpython-313.pyc").write_bytes(b"\0")
    first = build_package.build(source)
    (source / "pitr" / "a.py").touch()  # a new mtime, as a fresh checkout gives
    assert build_package.build(source) == first
    (source / "pitr" / "a.py").write_text("A = 2\n")
    assert build_package.build(source) != first
    info = zipfile.ZipFile(io.BytesIO(first)).getinfo("pitr/a.py")
    assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert (info.external_attr >> 16) & 0o777 == 0o644
