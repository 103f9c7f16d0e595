"""The catalogue of copied settings (``lambda_src/pitr/settings_sync/catalogue.json``) is the one list:
the code's registry runs the same settings in the same order, the function's switches and their
defaults come from it, Terraform lists no setting by hand, the docs table is generated from it and
the Lambda package carries it. (Terraform's side: tests/root_inputs.tftest.hcl and the settings_sync
tftest; the role's DynamoDB actions: tests/test_iam_per_call.py.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from pitr import settings_sync
from pitr.environment import ConfigurationError
from pitr.settings_sync import InputError, catalogue, parse, runner
from pitrctl.sim.worlds import PATTERN, SOURCE, World, settings_of
from tools import build_package, readme_reference

ENV = {
    "SOURCE_TABLE_NAME": SOURCE,
    "TARGET_TABLE_NAME_PATTERN": PATTERN,
    "SETTINGS_SWITCHES": "{}",
    "SETTINGS_OPTIONS": "{}",
}
EVENT = {"target_table": f"{SOURCE}-restored-1", "phase": "restore"}


def test_registry_and_catalogue_name_the_same_settings_in_the_same_order() -> None:
    assert runner.NAMES == catalogue.NAMES, (
        "runner.SETTINGS and lambda_src/pitr/settings_sync/catalogue.json must list the same settings in "
        f"the same order (the order they run in):\n  registry:  {runner.NAMES}\n"
        f"  catalogue: {catalogue.NAMES}"
    )


@pytest.mark.parametrize("module", runner.SETTINGS, ids=lambda m: m.NAME)
def test_each_settings_phase_is_the_catalogues(module: Any) -> None:
    entry = next(s for s in catalogue.SETTINGS if s.name == module.NAME)
    assert entry.phase == module.PHASE, f"catalogue.json says {module.NAME} runs at {entry.phase}"
    # A restore-phase setting that holds part of its work for cut-over says which part, for the docs.
    if getattr(module, "ALSO_AT_CUTOVER", False):
        assert entry.phase_note, f"catalogue.json: say in {module.NAME}'s phase_note what waits for cut-over"


def test_switches_default_to_the_catalogue() -> None:
    assert parse(EVENT, ENV).switches == catalogue.DEFAULTS
    assert set(catalogue.DEFAULTS) == set(catalogue.NAMES)


def test_a_catalogue_default_off_is_off_until_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_sync, "DEFAULTS", {**catalogue.DEFAULTS, "ttl": False})
    assert parse(EVENT, ENV).switches["ttl"] is False
    assert parse(EVENT, {**ENV, "SETTINGS_SWITCHES": '{"ttl": true}'}).switches["ttl"] is True
    assert parse({**EVENT, "settings": {"ttl": True}}, ENV).switches["ttl"] is True


@pytest.mark.parametrize("where", ["input", "environment"])
def test_a_name_outside_the_catalogue_is_refused_with_the_known_ones(where: str) -> None:
    event, env, error = (
        ({**EVENT, "settings": {"time_to_live": False}}, ENV, InputError)
        if where == "input"
        else (EVENT, {**ENV, "SETTINGS_SWITCHES": '{"time_to_live": false}'}, ConfigurationError)
    )
    with pytest.raises(error, match=r"unknown settings \['time_to_live'\]; known: warm_throughput, "):
        parse(event, env)


def _entry(**changes: Any) -> dict[str, Any]:
    entry = json.loads((REPO / "lambda_src/pitr/settings_sync/catalogue.json").read_text())["settings"][0]
    return {k: v for k, v in {**entry, **changes}.items() if v is not None}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_entry(phase="later")], r"'warm_throughput': phase must be one of \('restore', 'cutover'\)"),
        ([_entry(handling="copied sometimes")], r"handling must be one of"),
        ([_entry(default="yes")], r"default must be true or false"),
        ([_entry(dynamodb_writes=["UpdateTable"])], r"'UpdateTable' is not a DynamoDB action"),
        ([_entry(description=None)], r"'warm_throughput': .*description"),
        ([_entry(dynamodb_reads=None)], r"'warm_throughput': .*dynamodb_reads"),
        ([_entry(colour="blue")], r"'warm_throughput': .*colour"),
        ([_entry(), _entry()], r"names \['warm_throughput'\] more than once"),
    ],
)
def test_a_malformed_catalogue_fails_naming_the_setting(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.parse(json.dumps({"settings": entries}))


def test_terraform_lists_no_setting_by_hand() -> None:
    """The switches and the role's DynamoDB actions come from the catalogue (jsondecode), not key by key."""
    found = []
    for path in sorted(REPO.rglob("*.tf")):
        if ".terraform" in path.parts or "examples" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in catalogue.NAMES:
                if re.match(rf"\s*{name}\s*=\s*(optional\(bool|var\.settings\.)", line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, (
        "switches written out by hand (derive them from local.settings_catalogue):\n" + "\n".join(found)
    )


def test_the_docs_table_is_generated_from_the_catalogue() -> None:
    documents = readme_reference.settings_documents()
    assert len(documents) == 1, (
        f"the copied settings table belongs in one document, between {readme_reference.SETTINGS_MARKERS}; "
        f"found in {[str(d.relative_to(REPO)) for d in documents]}"
    )
    text = documents[0].read_text()
    assert readme_reference.render_settings(text) == text, (
        f"{documents[0].relative_to(REPO)}: the copied settings table is out of date: run `make docs`"
    )
    table = readme_reference.settings_table()
    for setting in catalogue.SETTINGS:
        assert f"| `{setting.name}` | **{setting.handling}**: {setting.description}" in table
    assert "| CloudWatch metrics **[listed]** | - | **left to the operator**" in table


def test_the_lambda_package_carries_the_catalogue(tmp_path: Path) -> None:
    """Imported from the package alone (as Lambda does), settings_sync loads the same catalogue."""
    package = tmp_path / "pitr.zip"
    package.write_bytes(build_package.build())
    code = (
        f"import sys; sys.path.insert(0, {str(package)!r}); import json, pitr.settings_sync as s; "
        "print(json.dumps([s.__file__, s.catalogue.NAMES]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    where, names = json.loads(result.stdout)
    assert where.startswith(str(package)) and tuple(names) == catalogue.NAMES


def test_the_simulated_world_has_every_copied_setting(world: World) -> None:
    """The shared tests (full copy, second run, each switch off) cover a setting once the simulated
    source has it and ``settings_of`` reads it back."""
    source = settings_of(SOURCE)
    missing = [s.name for s in catalogue.SETTINGS if s.handling == "copied" and not source.get(s.name)]
    assert not missing, (
        f"pitrctl/sim/worlds.py: build() must give the source {missing} and settings_of() read it back"
    )
