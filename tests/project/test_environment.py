"""pyproject.toml, requirements.lock and environment.yml must describe the same environment."""

from __future__ import annotations

import re
import tomllib

import yaml

import support

ROOT = support.ROOT


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def project_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = _pins(direct)
    assert len(pins) == len(direct), "every dependency in pyproject.toml is pinned with =="
    return pins


def test_environment_yml_lists_the_same_pins_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip) == project_pins()
    assert "python=3.11" in env["dependencies"]


def test_lock_file_pins_every_direct_dependency_at_the_same_version():
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    for name, version in project_pins().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


def test_required_packages_are_direct_dependencies():
    required = {"jupyterlab", "papermill", "pandas", "matplotlib", "seaborn", "nbconvert", "great-expectations", "dvc"}
    assert required <= set(project_pins())
    assert project_pins()["great-expectations"].startswith("1."), "GX Core 1.x"
