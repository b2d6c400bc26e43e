"""Repository contracts a newcomer relies on.

(a) ``environment.yml`` describes the same environment as ``pyproject.toml`` (core dependencies + the ``test``
    and ``samples`` extras), names normalised, version specifiers equal;
(b) ``.ci/run`` runs the README's test command verbatim;
(c) the README has exactly two set-up commands, one fenced block each, under the headings "Run the main job"
    and "Run the tests".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_IN_ENV = ("test", "samples")
#: conda-forge package name -> PyPI name, where they differ.
CONDA_TO_PYPI = {"pytorch": "torch", "pytables": "tables", "matplotlib-base": "matplotlib"}
#: Entries of environment.yml that are not project dependencies.
ENV_ONLY = {"python", "pip"}
HEADINGS = ("Run the main job", "Run the tests")


def normalise(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name)


def parse_spec(text: str, where: str) -> tuple[str, str]:
    """``(normalised name, canonical extras+specifier)`` of one requirement line."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise AssertionError(f"{where}: cannot parse {text!r} ({exc}); write pip-style specs such as 'numpy>=1.24'")
    extras = "[" + ",".join(sorted(req.extras)) + "]" if req.extras else ""
    spec = ",".join(sorted(str(s) for s in req.specifier))
    return normalise(req.name), extras + spec + (f"; {req.marker}" if req.marker else "")


def pyproject_requirements(root: Path = ROOT) -> dict[str, str]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    extras = project.get("optional-dependencies", {})
    for extra in EXTRAS_IN_ENV:
        assert extra in extras, f"pyproject.toml: extra [{extra}] missing"
        lines += extras[extra]
    out: dict[str, str] = {}
    for line in lines:
        name, spec = parse_spec(line, "pyproject.toml")
        assert name not in out or out[name] == spec, f"pyproject.toml lists {name} twice with different specs"
        out[name] = spec
    return out


def environment_requirements(root: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    special: list[str] = []
    for entry in env.get("dependencies") or []:
        entries = entry["pip"] if isinstance(entry, dict) else [entry]
        for line in entries:
            line = str(line).strip()
            if line.startswith("-"):  # pip options such as "-e ." (the project itself)
                special.append(line)
                continue
            name, spec = parse_spec(line.replace(" ", ""), "environment.yml")
            if name in ENV_ONLY:
                special.append(line)
                continue
            assert name not in out, f"environment.yml lists {name} twice"
            out[name] = spec
    return out, special


def check_env_sync(root: Path = ROOT) -> None:
    py = pyproject_requirements(root)
    env, special = environment_requirements(root)
    missing = sorted(set(py) - set(env))
    extra = sorted(set(env) - set(py))
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    assert not extra, f"in environment.yml but not pyproject.toml: {extra}"
    differ = {n: (py[n], env[n]) for n in py if py[n] != env[n]}
    assert not differ, f"version specs differ (pyproject, environment.yml): {differ}"
    assert "-e ." in special, "environment.yml must install the project itself (pip: - -e .)"


def test_environment_yml_matches_pyproject():
    check_env_sync()


@pytest.mark.parametrize("old, new, message", [
    ("- numpy>=", "- numpy>=0.1,<9,>=", "version specs differ"),
    ("- tqdm>=", "- tqdm-extra>=", "not environment.yml: \\['tqdm'\\]"),
])
def test_env_sync_check_detects_drift(tmp_path, old, new, message):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert old in env
    (tmp_path / "environment.yml").write_text(env.replace(old, new, 1))
    with pytest.raises(AssertionError, match=message):
        check_env_sync(tmp_path)


def test_environment_python_matches_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pythons = [str(e).replace(" ", "") for e in env["dependencies"] if isinstance(e, str) and e.startswith("python")]
    assert pythons == ["python" + project["requires-python"].replace(" ", "")]


def readme_sections(text: str) -> dict[str, list[list[str]]]:
    """Heading text -> fenced code blocks (as lists of lines) in that section (up to the next heading)."""
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    block: list[str] | None = None
    fence = ""
    for line in text.splitlines():
        stripped = line.strip()
        if block is not None:
            if stripped.startswith(fence) and stripped.strip("`~") == "":
                if current is not None:
                    sections[current].append(block)
                block = None
            else:
                block.append(line)
            continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            block = []
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            current = match.group(1)
            if current in sections:
                sections[current + " (again)"] = []
            sections.setdefault(current, [])
    return sections


def commands(block: list[str]) -> list[str]:
    return [ln.strip() for ln in block if ln.strip() and not ln.strip().startswith("#")]


@pytest.fixture(scope="module")
def readme() -> str:
    path = ROOT / "README.md"
    assert path.is_file(), "README.md is missing"
    return path.read_text(encoding="utf-8")


def setup_command(readme: str, heading: str) -> str:
    sections = readme_sections(readme)
    assert heading in sections, f"README.md: no heading {heading!r}"
    assert heading + " (again)" not in sections, f"README.md: heading {heading!r} appears twice"
    blocks = sections[heading]
    assert len(blocks) == 1, f"README.md: section {heading!r} must have exactly one fenced block, has {len(blocks)}"
    cmds = commands(blocks[0])
    assert len(cmds) == 1, f"README.md: section {heading!r} must hold exactly one command, has {cmds}"
    return cmds[0]


def test_readme_has_exactly_two_setup_commands(readme):
    main_cmd, test_cmd = (setup_command(readme, h) for h in HEADINGS)
    assert main_cmd != test_cmd
    assert main_cmd.startswith("pip install") and "misyn-lab" in main_cmd
    assert test_cmd.startswith("pip install") and ".[test]" in test_cmd and "pytest" in test_cmd
    order = [readme.index(f" {h}") for h in HEADINGS]
    assert order == sorted(order), "README.md: 'Run the main job' comes before 'Run the tests'"


def test_ci_runs_readme_test_command_verbatim(readme):
    test_cmd = setup_command(readme, "Run the tests")
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert test_cmd in ci_lines, f".ci/run must contain the README's test command verbatim: {test_cmd!r}"


def test_readme_parser_rejects_a_second_block(tmp_path):
    text = "# x\n## Run the tests\n```bash\npip install -e \".[test]\" && python -m pytest\n```\n```\nmore\n```\n"
    with pytest.raises(AssertionError, match="exactly one fenced block"):
        setup_command(text, "Run the tests")
    text2 = "## Run the tests\n```bash\npip install x\npython -m pytest\n```\n"
    with pytest.raises(AssertionError, match="exactly one command"):
        setup_command(text2, "Run the tests")


def test_readme_states_the_audits_parallel_thresholds(readme):
    """README.md says when `--workers N` alone starts worker processes: the numbers are the code's."""
    from misyn_lab.provenance.audit import LOCAL_MIN_FILES, LOCAL_MIN_FILES_MARKS_ONLY

    text = " ".join(readme.split())
    assert f"audits folders under {LOCAL_MIN_FILES:,} files ({LOCAL_MIN_FILES_MARKS_ONLY:,} without a registry)" in text
    assert f"a Dask worker process ({LOCAL_MIN_FILES:,}+ files)" in text
