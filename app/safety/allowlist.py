"""Values that look like credentials but are not: placeholders, interpolation, vendors' examples.

A false positive is not harmless: a README's setup steps or a `.env.example` turned into
`[REDACTED]` make the model tell the user the configuration is missing. A false negative is
worse, so every rule here judges the WHOLE value (or a token's whole body): a real credential
with a placeholder word, a template character or a filler run glued on is still a credential.
These checks run only on a match (never on the whole text), so they cost nothing on clean input.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Template and interpolation syntax making up the whole value: `${DB_PASSWORD}`, `${X:-default}`, `$SECRET`,
# `$(cat /run/secrets/db)`, `<your-token>`, `{{ .Values.token }}`, `%(password)s`, `%env(DB_PASSWORD)%`,
# `%DB_PASSWORD%`, `#{ENV['X']}`, `<%= x %>`, `{name}` (a Python format field: a name, not a random mix),
# YAML tags (`!vault |`, `!Ref DbPassword`), `^4.0.0`, `>=1.2`.
_EXPRESSION = (r"\$\{[^{}\n]*+\}|\{\{[^{}\n]*+\}\}|\$\([^()\n]*+\)|#\{[^{}\n]*+\}|%\([a-z_]++\)s|<%=[^%\n]*+%>"
               r"|%env\([^()\n]*+\)%|%\{[^{}\n]*+\}|\{[A-Za-z_][A-Za-z_.]*+(?:\d{1,2}+[A-Za-z_.]*+)?+\}")  # fmt: skip
_VARIABLE = r"\$(?:[A-Z_][A-Z0-9_]*+|[a-z_][a-z_]*+[0-9]{0,2}+|[a-z]++(?:[A-Z][a-z]++)++)"  # no random mix
_YAML_TAG = r"!(?i:vault|ref|sub|secret|env|getatt|importvalue)(?:[ \t]++(?:[|>]|[A-Za-z_][A-Za-z_.:\-]*+))?+"
_VERSION_RANGE = r"(?:\^|~>?|[<>]=?|==)[ \t]?+v?\d++(?:\.(?:\d++|x|\*))*+(?:[-+][0-9a-z.]++)?+"
_TEMPLATE = re.compile(rf"(?:{_EXPRESSION})|{_VARIABLE}|%[A-Za-z_][A-Za-z0-9_]*+%|{_YAML_TAG}|{_VERSION_RANGE}|~")
_INTERPOLATIONS = re.compile(_EXPRESSION)
# Interpolation with a little literal text around it names a value too: `Bearer ${TOKEN}`, `v1-{{ x }}`.
_MAX_LITERAL_AROUND = 7
# `<token>`, `<your api key>`: angle brackets around placeholder words (not around a password).
_ANGLED = re.compile(r"<([^<>\n]++)>")
# A value of plain segments (words, short numbers, filler) split at separators; a placeholder mark must be
# a whole segment: `YOUR_API_KEY_HERE`, `change-me`, `sk_live_xxxx`, not `Yourfav0rite!Pw9` or `Q7r!todo#88kLm`.
_SEP, _NOT_SEP = r"[\s_\-./:]", r"[^\s_\-./:]"
_SEGMENT = r"(?:[a-z]++|0{4,}+|\d{1,4}+|\*{4,}+|#{4,}+)"
_PLAIN = re.compile(rf"{_SEP}*+{_SEGMENT}(?:{_SEP}++{_SEGMENT})*+{_SEP}*+")
_MARK_WORDS = ("your", "example", "placeholder", "changeme", "changeit", "replace", "dummy", "sample", "redacted",
               "insert", "here", "todo", "fixme", "notreal", f"change{_SEP}++me", f"not{_SEP}++a{_SEP}++real",
               "x{4,}+", "0{4,}+", r"\*{4,}+", "#{4,}+")  # fmt: skip
_MARK = re.compile(f"(?<!{_NOT_SEP})(?:{'|'.join(_MARK_WORDS)})(?!{_NOT_SEP})")
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
_WORD = re.compile(r"[a-z]+|\d+")
# A snake_case name that holds a credential word names one: `invalid_token`, `unknown_api_key`, `client_secret`.
_CREDENTIAL_NAME = re.compile(r"(?=[a-z_]*(?:token|key|secret|pass|credential|auth))[a-z]++(?:_[a-z]++)++")

# A provider prefix before a token's body: `ghp_`, `sk_live_`, `glpat-`, `xoxb-`, `github_pat_`.
_TOKEN_PREFIX = re.compile(r"(?:[A-Za-z]{2,10}+[_\-])*+")
_FILLER_RUN = re.compile(r"(.)\1{5,}+")  # six or more of one character: `xxxxxx`, `000000`, `******`
# A body with fewer characters than this outside its filler runs cannot hold a provider's random part.
_MAX_REAL_IN_FILLER = 11

# Keys that vendors print in their documentation, published so that nobody mistakes them for real ones.
# Only these exact values: a key merely shaped like them (`AKIA…EXAMPLE`, `…EXAMPLEKEY`) may be real.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS IAM guide
        "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",  # AWS CLI guide
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIy"
        "fQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",  # jwt.io
    }
)  # fmt: skip


def is_placeholder(value: str) -> bool:
    """True for a value written to be replaced or filled in: `${X}`, `<token>`, `YOUR_API_KEY_HERE`."""
    if is_template(value) or (("{" in value or "(" in value) and _interpolated(value)):
        return True
    lowered = value.lower()
    if lowered in _PLACEHOLDER_WORDS or len(set(lowered)) <= 2 or _placeholder_words(lowered):
        return True
    return _names_a_value(lowered) or _CREDENTIAL_NAME.fullmatch(value) is not None


def is_template(value: str) -> bool:
    """True if the whole value is template syntax: `$X`, `${X:-d}`, `<token>`, `{{ x }}`, `%X%`, `^1.2`."""
    if _TEMPLATE.fullmatch(value) is not None:
        return True
    angled = _ANGLED.fullmatch(value)
    return angled is not None and _placeholder_words(angled.group(1).lower(), marked=False)


def _interpolated(value: str) -> bool:
    """True for interpolation with nothing but a few characters or a placeholder around it (`v1-${X}`);
    `9f8b…4b3c${X}` keeps a real value beside the interpolation."""
    literal = _INTERPOLATIONS.sub("", value)
    if literal == value:
        return False
    return len(literal) <= _MAX_LITERAL_AROUND or is_placeholder(literal)


def _placeholder_words(lowered: str, marked: bool = True) -> bool:
    """True if the value is plain segments (words, short numbers, filler), one of them a placeholder mark
    when `marked`: `your-access-key-id`, `INSERT_TOKEN_HERE`, `sk_live_xxxx`."""
    if _PLAIN.fullmatch(lowered) is None:
        return False
    return not marked or _MARK.search(lowered) is not None


def _names_a_value(lowered: str) -> bool:
    """True if every word of the value is a credential-naming word (`my-secret-token`, `api_key_1`)."""
    words = _WORD.findall(lowered)
    return bool(words) and all(word in _NAMING_WORDS or (word.isdigit() and len(word) <= 2) for word in words)


def is_filler(value: str) -> bool:
    """True for a token whose body is mostly filler (`ghp_xxxxxxxx…`, `AKIAXXXXXXXXXXXXXXXX`): not for a real
    body with a filler run glued on (`ghp_<36 random>000000`)."""
    prefix = _TOKEN_PREFIX.match(value)
    body = value[prefix.end() :] if prefix else value
    filler = sum(len(run.group()) for run in _FILLER_RUN.finditer(body))
    real = len(body) - filler
    return filler > real and real <= _MAX_REAL_IN_FILLER


def is_documented_example(value: str) -> bool:
    """True for a vendor's published example key, exactly (AWS's `AKIAIOSFODNN7EXAMPLE`, jwt.io's token),
    also when a sentence's full stop or comma ends an unquoted value (`…=wJalr…EXAMPLEKEY.`)."""
    return value.rstrip(".,;:!?") in DOCUMENTED_EXAMPLES


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    counts = Counter(value).values()
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
