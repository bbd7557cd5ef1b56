"""pyproject.toml, the lock of every supported Python (requirements/py3.X.lock), environment.yml
and the Makefile must describe the same environment.

The checks are functions of the files' text that return what disagrees, so the last tests can
show each of them finding a disagreement in a doctored copy.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

import support

ROOT = support.ROOT
LOCKS = ROOT / "requirements"


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def project_pins() -> dict[str, str]:
    project = pyproject()["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = _pins(direct)
    assert len(pins) == len(direct), "every dependency in pyproject.toml is pinned with =="
    return pins


def supported_versions(requires_python: str) -> list[str]:
    """'>=3.11,<3.14' -> ['3.11', '3.12', '3.13']: the only form the project uses."""
    match = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", requires_python.replace(" ", ""))
    assert match, f"requires-python {requires_python!r} is not of the form >=3.A,<3.B"
    return [f"3.{minor}" for minor in range(int(match[1]), int(match[2]))]


SUPPORTED = supported_versions(pyproject()["project"]["requires-python"])


# --- the checks ------------------------------------------------------------------------------------

def lock_disagreements(lock_text: str, version: str, pins: dict[str, str]) -> list[str]:
    """What a lock gets wrong: a direct pin missing or at another version, or a header naming
    another Python."""
    lock = _pins(lock_text.splitlines())
    problems = [f"{name}: pyproject {want}, lock {lock.get(name)}" for name, want in pins.items() if lock.get(name) != want]
    if f"for Python {version} " not in lock_text.split("\n", 1)[0]:
        problems.append(f"the header does not say Python {version}")
    return problems


def environment_disagreements(env_text: str, pins: dict[str, str], requires_python: str) -> list[str]:
    """What environment.yml gets wrong: its pip pins or its Python range."""
    env = yaml.safe_load(env_text)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    problems = [] if _pins(pip) == pins else [f"pip pins {_pins(pip)} are not pyproject's {pins}"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    if python.replace(" ", "") != f"python{requires_python}".replace(" ", ""):
        problems.append(f"{python!r} is not requires-python {requires_python!r}")
    return problems


def makefile_versions(makefile_text: str) -> list[str]:
    return re.search(r"^SUPPORTED\s*:=\s*(.*)$", makefile_text, re.M)[1].split()


# --- the files as committed ------------------------------------------------------------------------

def test_one_lock_per_supported_python():
    assert SUPPORTED == ["3.11", "3.12", "3.13"]
    assert sorted(p.name for p in LOCKS.glob("py*.lock")) == [f"py{v}.lock" for v in SUPPORTED]


@pytest.mark.parametrize("version", SUPPORTED)
def test_each_lock_pins_every_direct_dependency_at_the_same_version(version):
    assert lock_disagreements((LOCKS / f"py{version}.lock").read_text(), version, project_pins()) == []


def test_environment_yml_lists_the_same_pins_and_pythons_as_pyproject():
    text = (ROOT / "environment.yml").read_text()
    assert environment_disagreements(text, project_pins(), pyproject()["project"]["requires-python"]) == []


def test_makefile_offers_the_supported_versions():
    assert makefile_versions((ROOT / "Makefile").read_text()) == SUPPORTED


def test_required_packages_are_direct_dependencies():
    required = {"jupyterlab", "papermill", "pandas", "matplotlib", "seaborn", "nbconvert", "great-expectations", "dvc",
                "ruff"}
    assert required <= set(project_pins())
    assert project_pins()["great-expectations"].startswith("1."), "GX Core 1.x"


# --- the checks do find disagreements ------------------------------------------------------------

def test_a_lock_with_a_moved_or_missing_pin_or_the_wrong_python_is_caught():
    text = (LOCKS / "py3.12.lock").read_text()
    assert lock_disagreements(text.replace("\npandas==3.1.1\n", "\npandas==3.0.0\n"), "3.12", project_pins()) == [
        "pandas: pyproject 3.1.1, lock 3.0.0"]
    assert lock_disagreements(text.replace("\nruff==0.14.6\n", "\n"), "3.12", project_pins()) == [
        "ruff: pyproject 0.14.6, lock None"]
    assert lock_disagreements(text, "3.13", project_pins()) == ["the header does not say Python 3.13"]


def test_an_environment_yml_out_of_step_is_caught():
    text = (ROOT / "environment.yml").read_text()
    requires = pyproject()["project"]["requires-python"]
    assert len(environment_disagreements(text.replace("ruff==0.14.6", "ruff==0.14.5"), project_pins(), requires)) == 1
    assert environment_disagreements(text.replace("python>=3.11,<3.14", "python=3.11"), project_pins(), requires) == [
        "'python=3.11' is not requires-python '>=3.11,<3.14'"]
