"""``pip install`` gives a complete pitrctl: the wheel carries the templates (read with
importlib.resources), declares the rehearsal's dependencies as the ``rehearse`` extra, says so when
they are missing, and ``pitrctl rehearse`` runs from a fresh virtual environment outside the checkout.

Fast and offline: the wheel is built from a copy of the checkout without build isolation and
installed without dependencies; the fresh environment borrows this environment's installed
dependencies (boto3, rich, moto) through a ``.pth`` line, which adds their directory but not this
checkout (the editable install's finder lives in a ``.pth`` file there, and ``.pth`` files are not
read from an added directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from restore_workflow.test_templates import VALUES  # the values the template tests render

from pitrctl import workflow

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _source_copy(into: Path) -> Path:
    """The checkout's files (tracked, and new ones not ignored), symbolic links kept: setuptools
    builds in the source tree (build/lib), where files of modules since removed would linger and
    end up in the wheel."""
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO)
    assert listed.returncode == 0, listed.stderr
    for name in filter(None, listed.stdout.split("\0")):
        source, copy = REPO / name, into / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not yet committed
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(source.readlink())
        else:
            shutil.copy2(source, copy)
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = _source_copy(tmp_path_factory.mktemp("source"))
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(out),
    ]
    built = _run([*command, str(source)], cwd=out)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin directory."""
    root = tmp_path_factory.mktemp("fresh")
    venv.create(root / "venv", with_pip=False)
    python = root / "venv" / "bin" / "python"
    install = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-index",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        cwd=root,
    )
    assert install.returncode == 0, install.stderr
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
    Path(site.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root / "venv" / "bin"


def test_the_wheel_carries_the_templates_and_the_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        template = archive.read("pitrctl/templates/workflow.asl.json.tftpl")
        pattern = archive.read("pitrctl/templates/event_pattern.json.tftpl")
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            line for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires")
        ]
    # One file: the package's template is the one Terraform's templatefile reads.
    assert template == (REPO / "templates" / "workflow.asl.json.tftpl").read_bytes()
    assert pattern == (REPO / "templates" / "event_pattern.json.tftpl").read_bytes()
    assert (REPO / "pitrctl" / "templates" / "workflow.asl.json.tftpl").resolve() == (
        REPO / "templates" / "workflow.asl.json.tftpl"
    ).resolve()
    assert any(line.startswith("Requires-Dist: moto[") and 'extra == "rehearse"' in line for line in requires)


def test_installed_pitrctl_renders_the_workflow_as_the_checkout_does(installed: Path, tmp_path: Path) -> None:
    code = (
        "import json, sys, pitrctl, pitrctl.workflow as w; "
        "assert 'site-packages' in pitrctl.__file__, pitrctl.__file__; "
        "sys.stdout.write(w.render(json.loads(sys.argv[1])))"
    )
    rendered = _run([str(installed / "python"), "-c", code, json.dumps(VALUES)], cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == workflow.render(VALUES)


def test_missing_extra_is_a_message(installed: Path, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['moto'] = None; from pitrctl.cli import main; "
        "sys.exit(main(['rehearse', '--items', '5', '--duration', '5']))"
    )
    ran = _run([str(installed / "python"), "-c", code], cwd=tmp_path)
    assert ran.returncode == 2, ran.stderr
    assert "needs the 'rehearse' extra" in ran.stderr
    assert "[rehearse]" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.slow
def test_installed_pitrctl_rehearses_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    ran = _run(
        [
            *(
                str(installed / "pitrctl"),
                "rehearse",
                "--items",
                "20",
                "--write-rate",
                "4",
                "--duration",
                "12",
            ),
            *("--restore-seconds", "3", "--large-items", "1", "--json"),
        ],
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    assert report["verification"]["passed"] is True
    assert report["counts"]["changes_made"] > 0
