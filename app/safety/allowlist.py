"""Values that look like credentials but are not: placeholders, interpolation, vendors' examples.

A false positive is not harmless: a README's setup steps or a `.env.example` turned into
`[REDACTED]` make the model tell the user the configuration is missing. These checks run
only on a match (never on the whole text), so they cost nothing on clean input.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Template and interpolation syntax at the start of a value: `${DB_PASSWORD}`, `$SECRET`, `<token>`,
# `{{ .Values.token }}`, `%(password)s`, `%env(DB_PASSWORD)%`, `*****`, `...`.
_TEMPLATE_START = ("$", "{", "<", "%(", "%s", "%env", "%{", "~", ">=", "<=", "*", "…", "...", "!ref", "!sub",
                   "!vault", "!secret", "!env")  # fmt: skip
_VERSION_RANGE = re.compile(r"\^\d")  # `^4.0.0` in a manifest
# Interpolation inside a value: `prefix-${X}`, `{{ secrets.X }}`, `$(cat /run/secrets/db)`, `#{x}`.
_INTERPOLATION = ("${", "{{", "$(", "#{", "%(", "<%=")
# Words that mark a value as written to be replaced (sub-strings of the lower-cased value).
_PLACEHOLDER_MARKS = ("your", "example", "placeholder", "changeme", "change_me", "change-me", "changeit",
                      "replace", "dummy", "sample", "redacted", "insert", "xxxx", "****", "____", "....",
                      "_here", "-here", " here", "todo", "fixme", "notreal", "not-a-real", "not_a_real")  # fmt: skip
_PLACEHOLDER_WORDS = frozenset(
    {
        "string", "password", "passwd", "secret", "token", "example", "required", "optional", "undefined",
        "none", "null", "nil", "true", "false", "hidden", "empty", "test", "admin", "root", "pass", "default",
    }
)  # fmt: skip
# A value made only of these words (`my-secret-token`, `api_key_value`, `client-secret`) names a value.
_NAMING_WORDS = frozenset(
    {
        "my", "the", "a", "new", "app", "api", "key", "keys", "id", "access", "secret", "token", "password",
        "pass", "pwd", "passwd", "value", "client", "auth", "private", "db", "user", "admin", "prod", "dev",
        "local", "test", "default", "bearer", "personal", "service", "account", "webhook", "signing",
        "encryption", "master", "session", "jwt", "oauth", "bot", "github", "gitea", "gitlab", "aws",
        "stripe", "slack", "openai", "live", "some", "long", "random", "string", "strong", "super",
    }
)  # fmt: skip
# One pass over the value finds any of them (a regex alternation of literals runs in C).
_MARKS = re.compile("|".join(re.escape(mark) for mark in _INTERPOLATION + _PLACEHOLDER_MARKS))
_WORD = re.compile(r"[a-z]+|\d+")
# A snake_case name that holds a credential word names one: `invalid_token`, `unknown_api_key`, `client_secret`.
_CREDENTIAL_NAME = re.compile(r"(?=[a-z_]*(?:token|key|secret|pass|credential|auth))[a-z]++(?:_[a-z]++)++")
_REPEATED_RUN = re.compile(r"(.)\1{5}")  # six of one character: `xxxxxx`, `000000`, `******`

# Keys that vendors print in their documentation, published so that nobody mistakes them for real ones.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS IAM guide
        "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",  # AWS CLI guide
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIy"
        "fQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",  # jwt.io
    }
)  # fmt: skip
# AWS's own documentation convention: every example key id ends in EXAMPLE, every secret in EXAMPLEKEY.
_AWS_EXAMPLE_SUFFIXES = ("EXAMPLE", "EXAMPLEKEY")


def is_placeholder(value: str) -> bool:
    """True for a value written to be replaced or filled in: `${X}`, `<token>`, `YOUR_API_KEY_HERE`."""
    lowered = value.lower()
    if is_template(lowered) or lowered in _PLACEHOLDER_WORDS or _MARKS.search(lowered) is not None:
        return True
    return len(set(lowered)) <= 2 or _names_a_value(lowered) or _CREDENTIAL_NAME.fullmatch(value) is not None


def is_template(value: str) -> bool:
    """True for a value that starts as template syntax: `$X`, `<token>`, `{{ x }}`, `%X%`, `^1.2`."""
    lowered = value.lower()
    if lowered.startswith(_TEMPLATE_START) or _VERSION_RANGE.match(lowered):
        return True
    return len(lowered) > 2 and lowered[0] == lowered[-1] == "%"  # Windows `%DB_PASSWORD%`


def _names_a_value(lowered: str) -> bool:
    """True if every word of the value is a credential-naming word (`my-secret-token`, `api_key_1`)."""
    words = _WORD.findall(lowered)
    return bool(words) and all(word in _NAMING_WORDS or (word.isdigit() and len(word) <= 2) for word in words)


def is_filler(value: str) -> bool:
    """True for a token body padded with one repeated character (`ghp_xxxxxxxx…`, `AKIA0000…`)."""
    return _REPEATED_RUN.search(value) is not None


def is_documented_example(value: str) -> bool:
    """True for a vendor's published example key (AWS's `AKIAIOSFODNN7EXAMPLE`, jwt.io's token)."""
    if value in DOCUMENTED_EXAMPLES:
        return True
    aws_shaped = value.startswith(("AKIA", "ASIA")) or len(value) == 40
    return aws_shaped and value.endswith(_AWS_EXAMPLE_SUFFIXES)


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    counts = Counter(value).values()
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
