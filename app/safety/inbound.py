"""Refuse write-tool arguments that carry credentials before they reach Gitea.

Each text is scanned as sent and as the rendered page shows it (app.safety.normalise): a token
split by a hidden comment or an invisible character is refused like a whole one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from app.safety.normalise import rendered
from app.safety.secrets import SecretMode, SecretScanner, default_scanner


class InboundSecret(NamedTuple):
    """An argument that carries secrets: its name and the kinds found (never the value)."""

    field: str
    kinds: list[str]


def check_inbound(
    fields: Mapping[str, object], mode: SecretMode | str, scanner: SecretScanner | None = None
) -> list[InboundSecret]:
    """List the write arguments that carry secrets; any entry means refuse the call.

    Default policy: with `mask` or `block`, a comment, file or body carrying a key is
    refused rather than written (a masked copy would publish a broken text silently);
    with `off` nothing is checked. Nested values are named `field.key` / `field[0]`.
    """
    if SecretMode(mode) is SecretMode.OFF:
        return []
    scanner = scanner or default_scanner()
    return [InboundSecret(name, kinds) for name, text in _strings(fields) if (kinds := _kinds(scanner, text))]


def refusal_message(found: list[InboundSecret]) -> str:
    """The error text for a refused write: which argument, which kind, what to do."""
    listed = "; ".join(f"'{item.field}' ({', '.join(item.kinds)})" for item in found)
    return (
        f"Refused: the arguments carry what looks like a secret: {listed}. "
        "Remove the credential and retry; secret values are never written to Gitea."
    )


def _kinds(scanner: SecretScanner, text: str) -> list[str]:
    """The distinct kinds of secret in one argument, as sent or as rendered."""
    kinds = {finding.kind for finding in scanner.find(text)}
    shown = rendered(text)
    if shown != text:
        kinds.update(finding.kind for finding in scanner.find(shown))
    return sorted(kinds)


def _strings(value: object, path: str = "") -> list[tuple[str, str]]:
    """Every string in a nested argument value, with its path."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [pair for key, item in value.items() for pair in _strings(item, _join(path, str(key)))]
    if isinstance(value, list | tuple):
        return [pair for index, item in enumerate(value) for pair in _strings(item, f"{path}[{index}]")]
    return []


def _join(path: str, key: str) -> str:
    """`body` at the top level, `files.content` below it."""
    return f"{path}.{key}" if path else key
