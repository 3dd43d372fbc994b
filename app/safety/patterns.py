"""The secret detectors: compiled, linear-time patterns, one or two per credential family.

Speed and safety come from the same rules, because Python's `re` backtracks:
- every pattern starts with a literal (`ghp_`, `.eyJ`, `token`), one of its detector's
  anchors: SecretScanner tries it only where an anchor occurs, or, where anchors are dense,
  lets the engine skip ahead to the literal at C speed; a qualifier that comes before
  the literal in the text (`sk` in `sk_live_`, `api_` in `api_key`) is checked by a
  fixed-width lookbehind placed after the literal;
- every repeat is possessive, so a failed attempt never re-scans; an unbounded one either
  ends the pattern or runs over characters that cannot hold the pattern's literal, so one
  stretch of text is never scanned from two starts;
- a free-standing token may have a loose shape (a run of token characters that does not
  start or end inside a longer one, checked by lookbehind/lookahead or `_stands_alone`);
- a token glued to other text (`rt-ghp_…`, `build-AKIA…x`) must have its provider's own
  shape, and its match then takes every token character after it, so nothing glued on the
  right can finish a token that is left readable. Its lower-case literal prefixes are matched
  in any case. Words that merely contain a prefix (`task-`, `wxapp-`) lack that shape.
Keyword patterns run on the lower-cased text (case-insensitive without `re.IGNORECASE`,
which is several times slower here); lower-casing keeps offsets, so values are cut from
the original text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.safety.allowlist import is_documented_example, is_filler, is_placeholder, is_template, shannon_entropy
from app.safety.anchors import matches_at

_RUN_CHARS = r"A-Za-z0-9_\-"  # characters that continue a token: a match never starts mid-run
_B64 = r"a-zA-Z0-9+/="

# After a credential name: an optional closing quote or bracket, an optional type
# annotation (`token: str = ...`), then the assignment operator of some language.
# (`==` compares: `prevToken == null` assigns nothing; the value starts on the same line.)
_ASSIGN = r"\d{0,2}+[\"']?\]?(?::[\w\[\]|., ]{1,40}+)?\s{0,5}+(?:=>|:=|=(?!=)|:)[ \t]{0,5}+"
_QUOTED = r"\"(?P<dq>[^\"\s]{6,512}+)\"|'(?P<sq>[^'\s]{6,512}+)'|`(?P<bq>[^`\s]{6,512}+)`"
# Passwords, secrets, tokens and API keys may hold spaces when quoted (passphrases): one line at most.
_QUOTED_SPACED = r"\"(?P<dq>[^\"\n]{6,512}+)\"|'(?P<sq>[^'\n]{6,512}+)'|`(?P<bq>[^`\n]{6,512}+)`"
# An unquoted value ends at a space, a separator, a quote (`-H "X-API-Key: …"`), the next query
# parameter (`?api_key=…&page=2`) or a tag (`password=…</value>`); `_ends_cleanly` checks that, on the
# match. The pattern takes the rest of the run (past 256 characters, or up to a `(`) so that a value
# which does not end cleanly is consumed once and refused, not read again from every name inside it.
_BARE_CHARS = "[^\\s\"'`,;&()\\[\\]{}<>]"
_BARE = f"(?P<bare>{_BARE_CHARS}{{8,256}}+)(?<!:)(?:{_BARE_CHARS}++)?+"  # `name:` is a label, not a value
_BARE_END = frozenset(" \t\r\n\f\v,;\"'`&<)")
# `<password>…</password>` (Maven settings, Spring, .NET config): the value runs to the closing tag.
_XML = (r"(?:[\"']?>(?P<xml>[^<\s]{4,256}+)</"
        r"|[\"']\s{1,5}+value\s{0,3}+=\s{0,3}+[\"'](?P<xmlv>[^\"'<>\s]{4,256}+)[\"'](?=\s{0,5}+/?>))")
# `client.SetToken("…")`, `WithPassword('…')`: a quoted literal as a call's first argument (16 characters
# at least, as `_random_looking` asks: shorter ones fail here, in the engine, not one by one in Python).
_CALL = r"\(\s{0,5}+(?:\"(?P<cdq>[^\"\s]{16,512}+)\"|'(?P<csq>[^'\s]{16,512}+)')"
# Prose and Markdown in an issue: "the password is `…`", "token **…**", "password is Kx9…" (unquoted:
# only with a digit, checked ahead so that ordinary prose after a credential word fails in the engine).
_PROSE = (r"[`*'\"]{0,2}+[ \t]{1,3}+(?:(?P<verb>is|was|to|set to|changed to|becomes|=)[ \t]{1,3}+)?+"
          r"(?:`(?P<pbq>[^`\s]{4,256}+)`|\*\*(?P<pstar>[^*\s]{4,256}+)\*\*"
          r"|(?=[^\s\d`\"'<>()\[\]{},;]{0,127}+\d)(?P<pbare>[^\s`\"'<>()\[\]{},;]{8,128}+)(?![^\s,;.!?)]))")
_VALUE_GROUPS = frozenset({"value", "dq", "sq", "bq", "bare", "xml", "xmlv", "cdq", "csq", "pbq", "pstar", "pbare"})
_CALLED, _PROSE_GROUPS = ("cdq", "csq"), ("pbq", "pstar", "pbare")
_LABEL = re.compile(r"[A-Z]?[a-z]+")
_CAPITALISED = re.compile(r"[A-Z][a-z]+")
# Words that make a quoted phrase read as a sentence or UI text, not as a passphrase.
_PROSE_WORDS = frozenset(
    {
        "a", "an", "the", "your", "my", "our", "enter", "here", "please", "to", "for", "of", "is", "are",
        "be", "not", "with", "this", "that", "new", "old", "current", "confirm", "type", "must", "or", "and",
        "in", "on", "by", "no", "if", "it", "set", "missing", "invalid", "expired", "empty",
    }
)  # fmt: skip
_CODE_REFERENCE = re.compile(r"[A-Za-z_]++(?:\.[A-Za-z_]++){0,20}+")
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")

Accept = Callable[[re.Match[str], str], bool]
Begin = Callable[[str, re.Match[str], int], int]


@dataclass(frozen=True)
class Detector:
    """One credential family: what to match, where the value is, what to reject."""

    kind: str
    pattern: re.Pattern[str]
    # Lower-case literals, one of which every match starts with: a text holding none of them skips this
    # detector, and SecretScanner tries the pattern only where they occur (found for all detectors in one pass).
    anchors: tuple[str, ...]
    # Where a match starts in its anchor: 0 at its first character, -1 at its last (`_` in `npm_`).
    anchor_offset: int = 0
    # Anchors common in code and prose (credential names): found on nearly every line of config and docs,
    # they are cheaper to find with the pattern's own literal search over a long text than one by one.
    common: bool = False
    on_lowered: bool = False  # match against the lower-cased text
    accept: Accept | None = None  # extra check on the match and its original value
    back: int = 0  # the secret starts this many characters before the match
    # Or where the secret starts, found before the match (searching no further back than the end of
    # the previous match, so the scan stays linear); -1 if the match is no secret.
    begin: Begin | None = None
    # Or the kind of each match, for a detector that finds several families in one pass over the text
    # (every pass costs ~1 ms per 2 MB even where nothing matches).
    named: Callable[[re.Match[str]], str] | None = None

    def spans(self, text: str, lowered: str, starts: Sequence[int] | None = None) -> list[tuple[str, int, int]]:
        """Return (kind, start, end) of each secret value this detector finds (trying only at `starts`, sorted
        positions that hold every start of a match, if given)."""
        found = []
        floor = 0
        for match in matches_at(self.pattern, lowered if self.on_lowered else text, starts):
            start, end = _value_span(match)
            start = start - self.back if self.begin is None else self.begin(text, match, floor)
            floor = match.end()
            if start < 0:
                continue
            value = text[start:end]
            if self._holds_secret(match, value):
                found.append((self._kind_for(match, value), start, end))
        return found

    def _holds_secret(self, match: re.Match[str], value: str) -> bool:
        """False for a vendor's documented example (a set lookup, first: `.env.example` files repeat them),
        a value the detector's own check refuses, or a token body of filler (`ghp_xxxx…`)."""
        if is_documented_example(value) or not (self.accept is None or self.accept(match, value)):
            return False
        return self.kind == "jwt" or not is_filler(value)

    def _kind_for(self, match: re.Match[str], value: str) -> str:
        """Name the finding: a 40-hex value in an assignment is a Gitea token."""
        kind = self.kind if self.named is None else self.named(match)
        if self.on_lowered and kind in _ASSIGNMENT_KINDS and _HEX40.fullmatch(value):
            return "gitea_token"
        return kind


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the secret itself: the value group that matched, else the match."""
    return match.span(_value_group(match))


def _value_group(match: re.Match[str]) -> str | int:
    """The name of the value group that matched, or 0 (the whole match).

    Every value group is the last group of its alternative (`verb` comes before the prose values),
    so the last group that matched is the value's."""
    group = match.lastgroup
    return group if group in _VALUE_GROUPS else 0


_DIGIT, _UPPER, _LOWER = re.compile(r"\d"), re.compile("[A-Z]"), re.compile("[a-z]")


def _mixed(_match: re.Match[str], value: str) -> bool:
    """True for random-looking values: digits and letters of both cases."""
    return bool(_DIGIT.search(value) and _UPPER.search(value) and _LOWER.search(value))


def _both_cases(_match: re.Match[str], value: str) -> bool:
    """True if the value mixes upper- and lower-case letters."""
    return bool(_UPPER.search(value) and _LOWER.search(value))


def _has_digit(_match: re.Match[str], value: str) -> bool:
    """True if the value contains a digit."""
    return _DIGIT.search(value) is not None


_RUN_SET = frozenset(string.ascii_letters + string.digits + "_-")


def _stands_alone(match: re.Match[str], back: int = 0) -> bool:
    """True if no token character touches the match (starting `back` characters before it)."""
    text, start, end = match.string, match.start() - back, match.end()
    return (start == 0 or text[start - 1] not in _RUN_SET) and (end == len(text) or text[end] not in _RUN_SET)


def _stripe_key(match: re.Match[str], value: str) -> bool:
    """`sk_live_...` standing alone, or glued with a random-looking body."""
    return _stands_alone(match, back=2) or _mixed(match, value)


def _google_key(match: re.Match[str], value: str) -> bool:
    """`AIza` and exactly 35 characters standing alone, or glued with a random-looking body."""
    return (len(value) == 39 and _stands_alone(match)) or _mixed(match, value)


def _openai_key(match: re.Match[str], value: str) -> bool:
    """`sk-...` standing alone with a random-looking value; glued, with a key inside (`_random_key`)."""
    return _mixed(match, value) if _stands_alone(match) else _random_key(match, value)


_RANDOM_RUN = re.compile(r"[A-Za-z0-9]{20,}+")
_OPENAI_MARKER = "T3BlbkFJ"  # base64 of "OpenAI", in every OpenAI key


def _random_key(match: re.Match[str], value: str) -> bool:
    """True for a key, not a slug: the OpenAI marker, or 20+ alphanumerics with digits and both cases."""
    if _DIGIT.search(value) is None:  # both need one (the marker has a 3)
        return False
    return _OPENAI_MARKER in value or any(_mixed(match, run.group()) for run in _RANDOM_RUN.finditer(value))


def _real_password(_match: re.Match[str], value: str) -> bool:
    """Reject URL passwords that are placeholders."""
    return not is_placeholder(value)


def _ends_cleanly(match: re.Match[str]) -> bool:
    """True if an unquoted value is the whole run and a space, separator, quote or the end follows it."""
    end = match.end("bare")
    return end == match.end() and (end == len(match.string) or match.string[end] in _BARE_END)


def _real_assignment(match: re.Match[str], value: str) -> bool:
    """Reject placeholders and labels; unquoted values must not be code or paths.

    A quoted lower-case word (`password = "correcthorse"`) is a value someone chose; a bare one
    (`token: generated`) is as likely prose, and a capitalised one (`"Password"`) a label. A call's
    argument or a value in prose must look random: `check_password("…")` in a test, "the token is
    `GITEA_TOKEN`" in a README name or describe a credential more often than they hold one.
    """
    if _matched(match, _CALLED):
        return _random_looking(value) and not _code_or_path(value) and not is_placeholder(value)
    if _matched(match, _PROSE_GROUPS):
        return _said_in_prose(match, value) and not is_placeholder(value)
    if match.lastgroup == "bq" and _WORDS_ONLY.fullmatch(value):
        return False  # a JavaScript template literal: `token:\`passed\``, `credentials=\`omit\``
    if match.lastgroup != "bare":
        return _real_quoted(value) and not is_placeholder(value)
    if not _ends_cleanly(match):
        return False
    return not (_LABEL.fullmatch(value) or _code_or_path(value) or is_placeholder(value))


_WORDS_ONLY = re.compile(r"[a-z]++(?:-[a-z]++)*+")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def _said_in_prose(match: re.Match[str], value: str) -> bool:
    """A password in an issue: quoted in code or bold with a digit; bare, random-looking.

    (Without a digit, "the api key `special-key`" or "token **required**" name or describe a value.)"""
    if _code_or_path(value):
        return False
    if match.lastgroup == "pbare":
        return _mixed(match, value) or _random_looking(value)
    return _DIGIT.search(value) is not None


def _matched(match: re.Match[str], groups: tuple[str, ...]) -> bool:
    """True if the value is in one of the named groups."""
    return match.lastgroup in groups


def _code_or_path(value: str) -> bool:
    """A path, a URL, a command-line flag, an attribute reference (`self.password`, `opts?.channel`,
    `ed25519.Key`) or a name without digits."""
    if value.startswith(("/", ".", "~", "-")) or "://" in value or _ATTRIBUTE_PATH.fullmatch(value):
        return True
    return _CODE_REFERENCE.fullmatch(value) is not None and _DIGIT.search(value) is None


# Tuned on the labelled corpus (bench/bench_secrets.py prints recall and false positives per kind):
# random keys of 16+ characters carry 3.3+ bits a character (hex 3.0+); words, slugs and versions less.
RANDOM_MIN_LENGTH, RANDOM_MIN_BITS, RANDOM_MIN_BITS_HEX = 16, 3.3, 3.0
_HEX = re.compile(r"[0-9a-f]++|[0-9A-F]++")


def _random_looking(value: str) -> bool:
    """True for a value with letters, digits and the entropy of a generated key."""
    if len(value) < RANDOM_MIN_LENGTH or _DIGIT.search(value) is None or not any(c.isalpha() for c in value):
        return False
    floor = RANDOM_MIN_BITS_HEX if _HEX.fullmatch(value) else RANDOM_MIN_BITS
    return shannon_entropy(value) >= floor


# Names ending in `key` that label something other than a secret.
_PUBLIC_KEY_NAMES = ("public", "pub_", "pub-", "pubkey", "cache", "primary", "foreign", "sort", "partition",
                     "idempotency", "dedup", "lookup", "hot", "monkey", "turkey", "donkey", "hockey", "whiskey",
                     "jockey", "i18n", "translation", "host", "index", "websocket", "group", "routing", "object", "row",
                     "column", "map", "dict", "sign_in", "keyboard", "license_plate")  # fmt: skip
_CHECKSUM_PREFIXES = ("sha1", "sha256", "sha384", "sha512", "md5", "blake2", "h1:")


def _generic_key(match: re.Match[str], value: str) -> bool:
    """`ENCRYPTION_KEY=…`, `signingKey: "…"`: a random-looking value under a `*key` name not known as public.

    (Every check refuses; the cheapest and most often refusing come first: on docs and config, public key
    names, UUIDs and checksums.)"""
    name = match.string[max(0, match.start() - 16) : match.start()].rstrip("_-.")
    if name.endswith(_PUBLIC_KEY_NAMES) or _UUID.fullmatch(value) or _labelled_checksum(match, value):
        return False
    if _DIGIT.search(value) is None or (match.lastgroup == "bare" and not _ends_cleanly(match)):
        return False
    if _code_or_path(value) or _DOTTED_NAME.search(value) or _continues_as_code(match):
        # Code, not a key: `RegEnumKey = win32api.RegEnumKey`, `o.key=e.altKey?r.C0.ESC:…`, `K = Ed25519Key | …`
        # (generated keys hold no `name.attr`: base64 and hex have no dots).
        return False
    return _random_looking(value) and not is_placeholder(value)


_ATTRIBUTE_PATH = re.compile(r"[A-Za-z_$][\w$]*+(?:\??\.[A-Za-z_$][\w$]*+)++")
_DOTTED_NAME = re.compile(r"[A-Za-z0-9_]\.[A-Za-z_]")
_LINE_END = re.compile(r"[ \t]*+(?:[\r\n,;&\"'`)}\]#<]|//|$)")


def _continues_as_code(match: re.Match[str]) -> bool:
    """True if something other than the end of the line or a separator follows the value (`x | y`, `"…" % v`)."""
    return _LINE_END.match(match.string, match.end()) is None


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CHECKSUM_LABEL = re.compile(r"(?:sha(?:1|224|256|384|512)|md5|blake2[bs]?|h1)[:=\-]$")


def _labelled_checksum(match: re.Match[str], value: str) -> bool:
    """A digest, labelled with its algorithm before it (`sha256:…`) or inside it."""
    start = match.span(_value_group(match))[0]
    label = match.string[max(0, start - 8) : start]
    return value.lower().startswith(_CHECKSUM_PREFIXES) or _CHECKSUM_LABEL.search(label) is not None


def _real_quoted(value: str) -> bool:
    """A quoted value: a capitalised word is a label, `#ddd0c0` a colour; a phrase must read as a passphrase."""
    if _CAPITALISED.fullmatch(value) or _COLOUR.fullmatch(value):
        return False
    words = value.split()
    if len(words) < 2:
        return len(words) == 1 and words[0] == value
    return _passphrase(words)


def _passphrase(words: list[str]) -> bool:
    """Two to eight words, lower-case first, no sentence words, placeholders or closing punctuation."""
    if not 2 <= len(words) <= 8 or words[0][0].isupper() or words[-1][-1] in ".?!:":
        return False
    return not any(word.lower() in _PROSE_WORDS or is_template(word) for word in words)


def _token(prefixes: str, body: str, extra: str = "") -> str:
    """A token pattern: literal prefix, not inside a longer token, bounded body."""
    starts = "|".join(f"{p}(?<![{_RUN_CHARS}]{'.' * _width(p)})" for p in prefixes.split("|"))
    return f"(?:{starts}){extra}{body}(?![{_RUN_CHARS}])"


def _glued(prefixes: str, shape: str, rest: str) -> str:
    """A token anywhere, even inside other text: literal prefix, the provider's `shape`, then
    every following character of `rest` (so a token glued on the right is masked whole)."""
    return f"(?:{prefixes}){shape}{rest}*+"


def _width(prefix: str) -> int:
    """Characters a prefix pattern matches (each `[...]` class counts as one)."""
    return len(re.sub(r"\[[^\]]*\]", "x", prefix.replace("\\", "")))


def _after(*qualifiers: str) -> str:
    """Lookbehinds requiring one of `qualifiers` to end where the pattern now stands."""
    return "(?:" + "|".join(f"(?<={q})" for q in qualifiers) + ")"


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile a pattern (ASCII classes: `\\w` and `\\s` must not grow with Unicode)."""
    return re.compile(pattern, re.ASCII)


# PEM armour as a reader recognises it, not only as OpenSSL parses it: any case (these match the
# lower-cased text), any run of spaces or tabs between words, any number of dashes (or dash-like
# characters) with spaces before them. A header needs dashes on both sides, or on one side and a
# key body after it, so prose such as "-- begin private key rotation" is not a key.
_DASH = "[-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
_GAP = "[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
_SPACES = f"{_GAP}{{1,5}}+"
_KEY_WORDS = rf"{_SPACES}(?:[a-z0-9]{{1,12}}+{_SPACES}){{0,3}}private{_SPACES}key(?:{_SPACES}block)?+"
_FRAME = f"{_GAP}{{0,5}}+{_DASH}{{1,64}}+"
PRIVATE_KEY_HEADER = _compile(rf"begin{_KEY_WORDS}(?P<tail>{_FRAME})?+")
PRIVATE_KEY_FOOTER = _compile(rf"end{_KEY_WORDS}(?:{_FRAME})?+")
# What precedes "begin" in a framed header, matched on the reversed text before it: spaces, then dashes.
PRIVATE_KEY_LEAD = _compile(_FRAME)
# A key body right after a header: a line break (or an escaped one), then base64.
PRIVATE_KEY_BODY_AHEAD = _compile(r"(?:\s|\\[rn]){1,8}+[A-Za-z0-9+/]{40}")
# Body of a key whose footer is missing (e.g. the text was cut): base64 lines and
# JSON-escaped newlines. It stops at the first space, so prose after the key survives.
PRIVATE_KEY_BODY = _compile(r"[A-Za-z0-9+/=\r\n\\:,-]{0,16384}+")
PRIVATE_KEY_MAX_BYTES = 65536
PRIVATE_KEY_ANCHOR = "begin"

# Credential names, by the literal that anchors them (lower-cased text) and the kind
# they report. `key` alone is too common: it needs a qualifier before it.
_API_KEY_QUALIFIERS = ("api", "api_", "api-", "api ", "access", "access_", "access-", "auth_", "private", "private_",
                       "private-", "secret_", "secret-")  # fmt: skip
# Any other `*key` name (`encryption_key`, `signingKey`), for the generic detector (where it finds the same
# value as the api_key or secret detector, theirs is the name kept: they come first). Its values are drawn
# from the alphabets keys are written in (hex, base64, base64url, `base64:` prefixes), 16 characters at
# least: code (`process.env.X`, `os.Getenv(…)`) fails in the engine instead of one match at a time in Python.
_OTHER_KEY_NAME = "key(?<=[a-z0-9_.\\-]key)"
_KEY_CHARS = r"[A-Za-z0-9+/=_\-:]"
_KEY_VALUE = (f"\"(?P<dq>{_KEY_CHARS}{{16,256}}+)\"|'(?P<sq>{_KEY_CHARS}{{16,256}}+)'"
              f"|`(?P<bq>{_KEY_CHARS}{{16,256}}+)`|(?P<bare>{_KEY_CHARS}{{16,256}}+)(?:{_BARE_CHARS}++)?+")
_ASSIGNMENT_KINDS = {
    "password": r"pass(?:word|wd|phrase)|pwd",
    "secret": r"secret(?:[_-]?key)?",
    "token": r"token",
    "api_key": "key" + _after(*(f"{q}key" for q in _API_KEY_QUALIFIERS)),
    "credential": r"credentials?",
}  # fmt: skip


_ASSIGNMENT_ANCHORS = {"password": ("pass", "pwd"), "api_key": ("key",), "credential": ("credential",)}
_PASSPHRASE_KINDS = frozenset({"password", "secret", "token", "api_key"})


def _assignment(kind: str, name: str) -> Detector:
    """`password = "..."`, `API_KEY: ...`, `"token": "..."` in any common syntax."""
    quoted = _QUOTED_SPACED if kind in _PASSPHRASE_KINDS else _QUOTED
    pattern = _compile(f"(?:{name})(?:{_ASSIGN}(?:{quoted}|{_BARE})|{_XML}|{_CALL}|{_PROSE})")
    anchors = _ASSIGNMENT_ANCHORS.get(kind, (kind,))
    common = kind != "credential"  # `credentials = …` is rarer than the other names
    return Detector(kind, pattern, anchors, on_lowered=True, common=common, accept=_real_assignment)


# A JWT, glued or not, is found by its `.eyJ` payload (a literal the engine skips to); its header is
# the run of token characters before the dot, from the first `eyJ` in it (`_jwt_header`). Starting at
# each `eyJ` instead would re-scan a long run of token characters once per `eyJ` in it.
_JWT_PAYLOAD = r"\.eyJ[A-Za-z0-9_\-]{4,}+\.[A-Za-z0-9_\-]*+"
_JWT_MAX_HEADER = 16384
_RUN = re.compile(f"[{_RUN_CHARS}]*+")


def _jwt_header(text: str, payload: re.Match[str], floor: int) -> int:
    """Where the JWT with this payload starts: the first `eyJ` (and 4 more characters) in the run of
    token characters before the payload, searched back to `floor` at most; -1 if there is none."""
    lowest = max(floor, payload.start() - _JWT_MAX_HEADER)
    run = _RUN.match(text[lowest : payload.start()][::-1])
    return text.find("eyJ", payload.start() - run.end() if run else payload.start(), payload.start() - 4)


_AWS_ANCHORS = ("akia", "asia", "abia", "acca", "a3t")
_GITHUB_ANCHORS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_SLACK_ANCHORS = ("xox", "xapp-")


def _token_detectors() -> tuple[Detector, ...]:
    """Provider credentials recognisable by their own shape, most specific first.

    A token glued to other text needs its provider's exact shape (`_glued`; lower-case prefixes are
    matched on the lower-cased text): AWS, 16 base-32 characters with a digit; GitHub, 36 alphanumerics
    with a digit (fine-grained: 22, `_`, 59); Slack, digits after the prefix (app tokens:
    `xapp-N-ID-digits-secret`); Stripe, Google and `sk-` keys, a random-looking body (the accept
    functions, which keep the looser rules for a token standing alone). AWS, GitHub and Slack keep a
    second detector for the loose free-standing shape.
    """
    return (
        Detector("aws_access_key_id", _compile(_token(
            "AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9]", "[A-Z2-7]{16}")), _AWS_ANCHORS),
        Detector("aws_access_key_id", _compile(_glued(
            "AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9]", "(?=[A-Z]{0,15}+[2-7])[A-Z2-7]{16}", "[A-Z2-7]")), _AWS_ANCHORS),
        Detector("github_token", _compile(_token(
            "gh[pousr]_|github_pat_", "[A-Za-z0-9_]{36,251}+")), _GITHUB_ANCHORS),
        Detector("github_token", _compile(
            _glued("gh[pousr]_", "(?=[a-z]{0,35}+[0-9])[a-z0-9]{36}", "[a-z0-9_]") + "|"
            + _glued("github_pat_", "[a-z0-9]{22}_[a-z0-9]{59}", "[a-z0-9_]")), _GITHUB_ANCHORS, on_lowered=True),
        Detector("gitlab_token", _compile(_glued(
            "glpat-|gldt-|glrt-|glptt-|gloas-", r"[a-z0-9_.\-]{20}", r"[a-z0-9_.\-]")),
            ("glpat-", "gldt-", "glrt-", "glptt-", "gloas-"), on_lowered=True, accept=_has_digit),
        Detector("slack_token", _compile(_token("xox[abposre]-|xapp-", r"[A-Za-z0-9\-]{10,250}+")),
                 _SLACK_ANCHORS, accept=_has_digit),
        Detector("slack_token", _compile(
            _glued("xox[abposre]-", r"[0-9]{1,20}+-(?:[0-9]{6,}+-[a-z0-9]|[a-z0-9]{40})", r"[a-z0-9\-]") + "|"
            + _glued("xapp-", r"[0-9]{1,2}+-[a-z0-9]{8,}+-[0-9]{6,}+-[a-z0-9]{16}", r"[a-z0-9\-]")),
            _SLACK_ANCHORS, on_lowered=True),
        Detector("slack_webhook", _compile(
            r"hooks\.slack\.com/services/(?P<value>T[A-Z0-9]{4,20}+/B[A-Z0-9]{4,20}+"
            r"/[A-Za-z0-9]{8,64}+)"), ("hooks.slack.com/services/",)),
        Detector("stripe_key", _compile(_glued("_live_(?<=[sr]k_live_)", "[A-Za-z0-9]{20}", "[A-Za-z0-9]")),
                 ("_live_",), accept=_stripe_key, back=2),
        Detector("google_api_key", _compile(_glued("AIza", r"[A-Za-z0-9_\-]{35}", r"[A-Za-z0-9_\-]")), ("aiza",),
                 accept=_google_key),
        Detector("anthropic_key", _compile(_glued(
            "sk-ant-", r"(?:api|admin|oat|sid)[0-9][0-9]-[a-z0-9_\-]{32}", r"[a-z0-9_\-]")),
            ("sk-ant-",), on_lowered=True, accept=_mixed),
        Detector("openai_key", _compile(_glued("sk-", r"[a-z0-9_\-]{20}", r"[a-z0-9_\-]")), ("sk-",),
                 on_lowered=True, accept=_openai_key),
        Detector("jwt", _compile(_JWT_PAYLOAD), (".eyj",), begin=_jwt_header),
        *_registry_detectors(),
    )  # fmt: skip


def _registry_detectors() -> tuple[Detector, ...]:
    """Package registries, model hubs and SaaS APIs whose tokens carry a fixed prefix (free-standing only)."""
    return (
        Detector("registry_token", _compile(_UNDERSCORE_TOKENS), _UNDERSCORE_ANCHORS, anchor_offset=-1,
                 accept=_underscore_token, begin=_underscore_token_start, named=_underscore_token_kind),
        Detector("pypi_token", _compile(_token("pypi-AgEIcHlwaS5vcmc", r"[A-Za-z0-9_\-]{50,1000}+")),
                 ("pypi-ageichlwas5vcmc",)),
        Detector("sendgrid_key", _compile(_token(r"SG\.", r"[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")), ("sg.",)),
    )  # fmt: skip


# Tokens whose prefix ends in `_` (npm, Docker Hub, Hugging Face, DigitalOcean, Shopify), in one pass that
# stops at each `_` and checks the prefix before it with lookbehinds: one group per family, named by kind.
_UNDERSCORE_FAMILIES = {
    "npm_token": ("npm", "[A-Za-z0-9]{36}"),
    "dockerhub_token": ("dckr_pat", r"[A-Za-z0-9_\-]{27}"),
    "huggingface_token": ("hf", "[A-Za-z]{34}"),
    "digitalocean_token": ("do[opr]_v1", "[a-f0-9]{64}"),
    "shopify_token": ("shp(?:at|ca|pa|ss)", "[a-fA-F0-9]{32}"),
}
_PREFIX_WIDTH = {"npm_token": 3, "dockerhub_token": 8, "huggingface_token": 2, "digitalocean_token": 6,
                 "shopify_token": 5}  # fmt: skip
_UNDERSCORE_TOKENS = "_(?:" + "|".join(
    f"(?<={prefix}_)(?<![{_RUN_CHARS}]{prefix}_)(?P<{kind}>{body})"
    for kind, (prefix, body) in _UNDERSCORE_FAMILIES.items()
) + f")(?![{_RUN_CHARS}])"
_UNDERSCORE_ANCHORS = ("npm_", "dckr_pat_", "hf_", "doo_v1_", "dop_v1_", "dor_v1_", "shpat_", "shpca_", "shppa_",
                       "shpss_")  # fmt: skip


def _underscore_token_kind(match: re.Match[str]) -> str:
    """The family whose group matched."""
    return str(match.lastgroup)


def _underscore_token_start(_text: str, match: re.Match[str], _floor: int) -> int:
    """The token starts at its prefix, before the `_` the match starts at."""
    return match.start() - _PREFIX_WIDTH[str(match.lastgroup)]


def _underscore_token(match: re.Match[str], value: str) -> bool:
    """npm tokens hold a digit, Hugging Face tokens both cases of letters."""
    if match.lastgroup == "npm_token":
        return _has_digit(match, value)
    return match.lastgroup != "huggingface_token" or _both_cases(match, value)


def _keyed_detectors() -> tuple[Detector, ...]:
    """Credentials recognised by the name or syntax around them."""
    return (
        Detector("aws_secret_key", _compile(
            rf"secret[_-]?(?:access[_-]?)?key{_ASSIGN}[\"']?(?P<value>[{_B64}]{{40}})(?![{_B64}])"),
            ("secret",), on_lowered=True, common=True, accept=_mixed),
        Detector("azure_storage_key", _compile(
            rf"key={_after('accountkey=', 'sharedaccesskey=')}(?P<value>[{_B64}]{{20,200}}+)"),
            ("key=",), on_lowered=True),
        Detector("url_password", _compile(
            r"://[^\s:/?#@'\"<>]{1,128}+:(?P<value>[^\s/?#@'\"<>]{1,256}+)@"),
            ("://",), accept=_real_password),
        Detector("authorization", _compile(
            r"bearer[ \t]{1,5}+(?P<value>[a-z0-9._~+/=\-]{16,4096}+)"),
            ("bearer",), on_lowered=True, accept=_has_digit),
        Detector("authorization", _compile(
            r"authorization[\"']?\s{0,5}+[:=]\s{0,5}+[\"']?(?:token|basic)"
            r"[ \t]{1,5}+(?P<value>[a-z0-9._~+/=\-]{16,4096}+)"),
            ("authorization",), on_lowered=True, accept=_has_digit),
        *(_assignment(kind, name) for kind, name in _ASSIGNMENT_KINDS.items()),
        Detector("generic_key", _compile(f"{_OTHER_KEY_NAME}{_ASSIGN}(?:{_KEY_VALUE})"), ("key",),
                 on_lowered=True, common=True, accept=_generic_key),
    )  # fmt: skip


def build_detectors() -> tuple[Detector, ...]:
    """Every detector, most specific first (it wins when two find the same span)."""
    return _token_detectors() + _keyed_detectors()
