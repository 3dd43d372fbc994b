"""Dependency manifests read with real parsers: tomllib, json, `packaging` for PEP 508 requirement lines,
and the line grammars of go.mod and Gemfile. Each parser returns findings, never raises on bad input
(a manifest that does not parse is itself a finding)."""

from __future__ import annotations

import json
import posixpath
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

LOCKFILES: dict[str, tuple[str, ...]] = {
    "package.json": ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
                     "bun.lock"),
    "pyproject.toml": ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"),
    "go.mod": ("go.sum",),
    "Cargo.toml": ("Cargo.lock",),
    "Gemfile": ("Gemfile.lock",),
}
SKIPPED_DIRECTORIES = ("node_modules/", "vendor/", ".git/", "third_party/")
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+", "git:", "git://", "github:", "gitlab:", "bitbucket:",
                "http://", "https://", "file:", "link:")
WILDCARDS = {"*", "", "latest", "x", "x.x", "x.x.x", "next"}


@dataclass(frozen=True)
class Finding:
    """One problem in one manifest."""

    kind: str  # unpinned, wildcard, vcs_or_url, missing_lockfile, unparseable
    manifest: str
    package: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def manifest_kind(path: str) -> str | None:
    """Which parser reads this path, or None when it is not a manifest the scan knows."""
    if any(path.startswith(part) or f"/{part}" in path for part in SKIPPED_DIRECTORIES):
        return None
    name = posixpath.basename(path)
    if name.startswith("requirements") and name.endswith(".txt"):
        return "requirements"
    return name if name in ("pyproject.toml", "package.json", "go.mod", "Cargo.toml", "Gemfile") else None


def parse_manifest(kind: str, path: str, text: str) -> list[Finding]:
    parser = PARSERS[kind]
    try:
        return parser(path, text)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # TOMLDecodeError, JSONDecodeError are ValueErrors
        return [Finding("unparseable", path, None, f"{kind} could not be parsed: {exc}"[:300])]


def missing_lockfiles(manifests: Mapping[str, bool], all_paths: Iterable[str]) -> list[Finding]:
    """A manifest that declares dependencies and has none of its lockfiles beside it."""
    present = set(all_paths)
    findings = []
    for path, declares in manifests.items():
        locks = LOCKFILES.get(posixpath.basename(path), ())
        if not declares or not locks:
            continue
        directory = posixpath.dirname(path)
        if not any(posixpath.join(directory, lock) in present for lock in locks):
            findings.append(Finding("missing_lockfile", path, None, f"no lockfile beside it (expected one of "
                                                                    f"{', '.join(locks)})"))
    return findings


def declares_dependencies(kind: str, text: str) -> bool:  # noqa: PLR0911 - one answer per format
    """Whether the manifest lists dependencies at all (a lockfile is only missing then)."""
    try:
        if kind == "package.json":
            data = json.loads(text)
            return any(isinstance(data.get(s), dict) and data[s] for s in NPM_SECTIONS)
        if kind == "pyproject.toml":
            data = tomllib.loads(text)
            project = data.get("project", {})
            poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
            return bool(project.get("dependencies") or [k for k in poetry if k != "python"])
        if kind == "Cargo.toml":
            data = tomllib.loads(text)
            return any(data.get(s) for s in CARGO_SECTIONS)
        if kind == "go.mod":
            return any(module for module, _ in go_requirements(text))
        if kind == "Gemfile":
            return any(True for _ in gem_lines(text))
    except (ValueError, TypeError, AttributeError):
        return False
    return False


# requirements*.txt: one PEP 508 requirement per line; pins are expected (it is the lock of a pip install).
def parse_requirements(path: str, text: str) -> list[Finding]:
    findings = []
    for raw in logical_lines(text):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-e ", "--editable")):
            findings.append(Finding("vcs_or_url", path, None, f"editable install: {line[:200]}"))
            continue
        if line.startswith("-"):
            continue  # -r, -c, --index-url, --hash ... are options, not requirements
        if line.startswith(VCS_PREFIXES):
            findings.append(Finding("vcs_or_url", path, None, f"installed from {line[:200]}"))
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            findings.append(Finding("unparseable", path, None, f"{line[:120]}: {exc}"[:300]))
            continue
        findings += requirement_findings(path, requirement, pins_expected=True)
    return findings


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, as pip reads them."""
    lines, current = [], ""
    for line in text.splitlines():
        if line.endswith("\\"):
            current += line[:-1]
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return lines


def requirement_findings(path: str, requirement: Requirement, *, pins_expected: bool) -> list[Finding]:
    name = requirement.name
    if requirement.url:
        return [Finding("vcs_or_url", path, name, f"{name} comes from {requirement.url[:200]}")]
    specs = list(requirement.specifier)
    if not specs:
        return [Finding("unpinned", path, name, f"{name} has no version constraint")]
    if any("*" in spec.version for spec in specs):
        return [Finding("wildcard", path, name, f"{name}{requirement.specifier} uses a wildcard version")]
    if pins_expected and not any(spec.operator in ("==", "===") for spec in specs):
        return [Finding("unpinned", path, name, f"{name}{requirement.specifier} is a range, not a pin")]
    return []


# pyproject.toml: PEP 621 [project] and Poetry's tables; ranges are normal there (the lockfile pins).
def parse_pyproject(path: str, text: str) -> list[Finding]:
    data = tomllib.loads(text)
    findings: list[Finding] = []
    project = data.get("project", {})
    groups = [project.get("dependencies", []), *project.get("optional-dependencies", {}).values()]
    for group in groups:
        for line in group:
            try:
                findings += requirement_findings(path, Requirement(line), pins_expected=False)
            except InvalidRequirement as exc:
                findings.append(Finding("unparseable", path, None, f"{line[:120]}: {exc}"[:300]))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    for table in tables:
        for name, spec in table.items():
            if name != "python":
                findings += table_dependency(path, name, spec, ("git", "url", "path"))
    return findings


def table_dependency(path: str, name: str, spec: Any, remote_keys: tuple[str, ...]) -> list[Finding]:
    """A Poetry or Cargo dependency: a version string, or a table with version/git/path."""
    if isinstance(spec, str):
        version = spec.strip()
    elif isinstance(spec, dict):
        remote = next((key for key in remote_keys if key in spec), None)
        if remote:
            return [Finding("vcs_or_url", path, name, f"{name} comes from {remote} {str(spec[remote])[:200]}")]
        if spec.get("workspace") is True:
            return []
        version = str(spec.get("version", "")).strip()
    else:
        return [Finding("unparseable", path, name, f"{name}: unexpected value {spec!r}"[:300])]
    if version in WILDCARDS:
        return [Finding("wildcard" if version else "unpinned", path, name,
                        f"{name} = {version!r} accepts any version")]
    if "*" in version:
        return [Finding("wildcard", path, name, f"{name} = {version!r} uses a wildcard version")]
    return []


# package.json
NPM_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")


def parse_package_json(path: str, text: str) -> list[Finding]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("package.json is not a JSON object")
    findings = []
    for section in NPM_SECTIONS:
        deps = data.get(section)
        for name, version in (deps.items() if isinstance(deps, dict) else []):
            value = str(version).strip()
            if value.startswith(VCS_PREFIXES) or (value.count("/") == 1 and not value.startswith(("@", "npm:"))
                                                  and ":" not in value and not value[:1].isdigit()):
                findings.append(Finding("vcs_or_url", path, name, f"{name} comes from {value[:200]}"))
            elif value.lower() in WILDCARDS or value in ("x", "X"):
                findings.append(Finding("wildcard" if value else "unpinned", path, name,
                                        f"{name}: {value!r} accepts any version"))
            elif "*" in value or ".x" in value.lower() or (value.startswith(">") and "<" not in value):
                findings.append(Finding("wildcard", path, name, f"{name}: {value!r} has no upper bound"))
    return findings


# go.mod: `require module version` lines or blocks; `replace` to a local path escapes the module proxy.
def go_requirements(text: str) -> list[tuple[str, str]]:
    requirements, block = [], None
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block and line == ")":
            block = None
            continue
        words = line.split()
        if block is None and words[-1] == "(":
            block = words[0]
            continue
        directive, rest = (block, words) if block else (words[0], words[1:])
        if directive == "require" and len(rest) >= 2:
            requirements.append((rest[0], rest[1]))
        elif directive == "replace" and "=>" in rest:
            target = rest[rest.index("=>") + 1:]
            if len(target) == 1:  # no version: a directory
                requirements.append((f"replace:{rest[0]}", target[0]))
    return requirements


def parse_go_mod(path: str, text: str) -> list[Finding]:
    findings = []
    for module, version in go_requirements(text):
        if module.startswith("replace:"):
            findings.append(Finding("vcs_or_url", path, module[8:], f"{module[8:]} is replaced by the local "
                                                                    f"path {version}"))
        elif not version.startswith("v"):
            findings.append(Finding("unpinned", path, module, f"{module} {version} is not a version"))
    return findings


# Cargo.toml
CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def parse_cargo(path: str, text: str) -> list[Finding]:
    data = tomllib.loads(text)
    findings = []
    tables = [data.get(section, {}) for section in CARGO_SECTIONS]
    tables += [target.get(section, {}) for target in data.get("target", {}).values() for section in CARGO_SECTIONS]
    for table in tables:
        for name, spec in table.items():
            findings += table_dependency(path, name, spec, ("git", "path"))
    return findings


# Gemfile: Ruby, but dependency lines have a simple grammar: gem 'name'[, 'constraint'...][, key: value...]
def gem_lines(text: str) -> Iterable[list[str]]:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith(("gem ", "gem(")):
            continue
        lexer = shlex.shlex(line[3:].strip().strip("()"), posix=True, punctuation_chars=",")
        lexer.whitespace_split = True
        tokens = [word for word in lexer if word != ","]
        if tokens:
            yield tokens


def parse_gemfile(path: str, text: str) -> list[Finding]:
    findings = []
    for tokens in gem_lines(text):
        name, rest = tokens[0], tokens[1:]
        options = {rest[i].rstrip(":").lstrip(":"): rest[i + 1] if i + 1 < len(rest) else ""
                   for i in range(len(rest)) if rest[i].endswith(":") or rest[i].startswith(":")}
        remote = next((key for key in ("git", "github", "path") if key in options), None)
        constraints = [t for t in rest if not t.endswith(":") and not t.startswith(":") and t not in options.values()]
        if remote:
            findings.append(Finding("vcs_or_url", path, name, f"{name} comes from {remote} {options[remote][:200]}"))
        elif not constraints:
            findings.append(Finding("unpinned", path, name, f"{name} has no version constraint"))
        elif any(c.strip() in (">= 0", ">=0") for c in constraints):
            findings.append(Finding("wildcard", path, name, f"{name} accepts any version"))
    return findings


PARSERS = {
    "requirements": parse_requirements, "pyproject.toml": parse_pyproject, "package.json": parse_package_json,
    "go.mod": parse_go_mod, "Cargo.toml": parse_cargo, "Gemfile": parse_gemfile,
}
