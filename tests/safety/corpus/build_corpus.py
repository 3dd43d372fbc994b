"""Build the labelled secret-detection corpus (deterministic; rerun to regenerate).

secrets.jsonl: {"kind", "secret", "text"}: a fake but pattern-valid credential in context.
clean.jsonl:   {"kind", "text"}: realistic secret-free snippets (code, lockfiles, SHAs, ...).
Every fake secret says FAKE, EXAMPLE or TEST where its alphabet allows; none is real.

    .venv/bin/python tests/safety/corpus/build_corpus.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ALNUM = string.ascii_letters + string.digits
rng = random.Random(20261127)


def chars(alphabet: str, n: int) -> str:
    """n seeded-random characters from `alphabet`."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(n: int, alphabet: str = ALNUM) -> str:
    """Random characters guaranteed to hold a digit, an upper and a lower letter."""
    return "7Fk" + chars(alphabet, n - 3)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as in JWTs."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_pem(label: str) -> str:
    """A PEM block whose body is random bytes that spell FAKE KEY when decoded."""
    body = base64.b64encode(b"FAKE KEY FOR TESTS " + rng.randbytes(300)).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def fake_jwt() -> str:
    """A structurally valid HS256 JWT with a fake subject and a random signature."""
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url(json.dumps({"sub": "fake-user", "note": "FAKE TEST TOKEN",
                                 "iat": rng.randrange(10**9, 2 * 10**9)}).encode())  # fmt: skip
    return f"{header}.{payload}.{b64url(rng.randbytes(32))}"


GENERATORS: dict[str, Callable[[], str]] = {
    "aws_access_key_id": lambda: "AKIA" + "FAKE" + chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 12),
    "aws_secret_key": lambda: "FAKE" + mixed(36, ALNUM + "+/"),
    "github_token": lambda: rng.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + "FAKE" + mixed(32),
    "github_pat": lambda: "github_pat_11FAKE" + mixed(16) + "_" + mixed(59),
    "gitlab_token": lambda: "glpat-FAKE" + mixed(16, ALNUM + "-_"),
    "slack_token": lambda: f"xoxb-{chars(string.digits, 12)}-{chars(string.digits, 13)}-FAKE{mixed(20)}",
    "stripe_key": lambda: "sk_live_FAKE" + mixed(20),
    "google_api_key": lambda: "AIza" + "FAKE" + mixed(31, ALNUM + "-_"),
    "openai_key": lambda: "sk-proj-FAKE" + mixed(60, ALNUM + "_-"),
    "anthropic_key": lambda: "sk-ant-api03-FAKE" + mixed(91, ALNUM + "_-") + "AA",
    "azure_storage_key": lambda: base64.b64encode(b"FAKE" + rng.randbytes(60)).decode(),
    "jwt": fake_jwt,
    "url_password": lambda: "FakePw" + mixed(10),
    "gitea_token": lambda: "fa4e" + chars("0123456789abcdef", 36),
    "password": lambda: "Fake-" + mixed(12, ALNUM + "!#%&*"),
    "api_key": lambda: "test_" + mixed(24),
}

CONTEXTS: dict[str, list[str]] = {
    "aws_access_key_id": [
        'AWS_ACCESS_KEY_ID="{s}"',
        "aws_access_key_id = {s}",
        '{{"AccessKeyId": "{s}"}}',
        "export AWS_ACCESS_KEY_ID={s}",
        "  access_key: {s}\n",
        "creds: {s}:secret",
    ],
    "aws_secret_key": [
        "aws_secret_access_key = {s}",
        'AWS_SECRET_ACCESS_KEY="{s}"',
        '"SecretAccessKey": "{s}",',
        "secret_key: {s}",
        "aws_secret_key='{s}'",
    ],
    "github_token": [
        'GITHUB_TOKEN="{s}"',
        "git clone https://{s}@github.com/org/repo.git",
        "headers = {{'Authorization': 'token {s}'}}",
        "Use {s} for the CI bot.",
        "- run: echo {s} | docker login ghcr.io -u bot --password-stdin",
        '{{"token": "{s}", "scopes": ["repo"]}}',
    ],
    "github_pat": ["gh auth login --with-token <<< {s}", 'pat = "{s}"', "token: {s}\n"],
    "gitlab_token": [
        "GITLAB_TOKEN={s}",
        "curl --header 'PRIVATE-TOKEN: {s}' https://gl/api",
        'private_token = "{s}"',
        "glab auth login -t {s}",
    ],
    "slack_token": ['SLACK_BOT_TOKEN="{s}"', "client = WebClient(token='{s}')", "bot: {s}"],
    "stripe_key": ['stripe.api_key = "{s}"', "STRIPE_SECRET={s}", "const stripe = Stripe('{s}');"],
    "google_api_key": [
        'const firebaseConfig = {{ apiKey: "{s}" }};',
        "GOOGLE_API_KEY={s}",
        "https://maps.googleapis.com/maps/api/js?key={s}&callback=init",
    ],
    "openai_key": ['OPENAI_API_KEY="{s}"', "client = OpenAI(api_key='{s}')", "openai.api_key = {s}"],
    "anthropic_key": ['ANTHROPIC_API_KEY="{s}"', "x-api-key: {s}", "client = anthropic.Anthropic(api_key='{s}')"],
    "azure_storage_key": [
        "DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={s};EndpointSuffix=core.windows.net",
        '"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=test;AccountKey={s}"',
        "Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={s}",
    ],
    "jwt": [
        "Authorization: Bearer {s}",
        '{{"access_token": "{s}", "expires_in": 3600}}',
        "curl -H 'Authorization: Bearer {s}' http://127.0.0.1/api",
        "id_token={s}&state=x",
        "const jwt = '{s}';",
    ],
    "url_password": [
        "DATABASE_URL=postgres://app:{s}@db.internal:5432/app",
        "redis_url: redis://default:{s}@cache:6379/0",
        "git remote add origin https://ci-bot:{s}@gitea.example.com/org/repo.git",
        'amqp_url = "amqp://guest:{s}@rabbit:5672/"',
        "[mongo](mongodb://root:{s}@mongo:27017)",
    ],
    "gitea_token": [
        "GITEA_TOKEN={s}",
        'gitea_token = "{s}"',
        "token: {s}",
        '{{"api_token": "{s}"}}',
        "Authorization: token {s}",
        "export GITEA_ACCESS_TOKEN='{s}'",
    ],
    "password": [
        'DB_PASSWORD="{s}"',
        "password: '{s}'",
        'conn = connect(password="{s}")',
        '$config["db_password"] = "{s}";',
        "spring.datasource.password={s}",
        'client_secret = "{s}"',
        "SECRET = '{s}'",
        "MYSQL_ROOT_PASSWORD={s}",
        'passwd := "{s}"',
        "  :password => '{s}',",
    ],
    "api_key": ['API_KEY="{s}"', "api_key: {s}", 'apiKey: "{s}",', "sendgrid_api_key = '{s}'", '"x-api-key": "{s}"'],
}


# Values people choose (a quoted word, a passphrase): fixed, and after the generated rows so those stay as they were.
CHOSEN: list[tuple[str, str, str]] = [
    ("password", "correcthorse", 'password = "{s}"'),
    ("password", "trombone", "DB_PASSWORD='{s}'"),
    ("secret", "abc def ghi", 'client_secret = "{s}"'),
    ("token", "purple monkey dishwasher", "auth_token: '{s}'"),
    ("api_key", "blue sky seven 42", 'API_KEY="{s}"'),
    ("password", "correct horse battery staple", '"password": "{s}",'),
]


def pem_samples() -> list[dict[str, str]]:
    """Private key blocks of every common armour, bare and embedded."""
    labels = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
              "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "PGP PRIVATE KEY BLOCK"]  # fmt: skip
    samples = []
    for label in labels:
        pem = fake_pem(label)
        samples.append({"kind": "private_key", "secret": pem, "text": f"Key for the test box:\n{pem}\n"})
        escaped = pem.replace("\n", "\\n")
        samples.append({"kind": "private_key", "secret": escaped,
                        "text": f'{{"type": "service_account", "private_key": "{escaped}\\n"}}'})  # fmt: skip
    return samples


def secret_samples() -> list[dict[str, str]]:
    """Every kind in every context, each with a freshly generated fake value."""
    samples = pem_samples()
    for kind, contexts in CONTEXTS.items():
        for context in contexts * 2:
            secret = GENERATORS[kind]()
            samples.append({"kind": kind, "secret": secret, "text": context.format(s=secret)})
    samples += [{"kind": kind, "secret": secret, "text": context.format(s=secret)} for kind, secret, context in CHOSEN]
    return samples


def sha1() -> str:
    return hashlib.sha1(rng.randbytes(16)).hexdigest()


def sha256() -> str:
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


def sri() -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(rng.randbytes(16)).digest()).decode()


def png_data_uri() -> str:
    body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(rng.randrange(200, 900))
    return "data:image/png;base64," + base64.b64encode(body).decode()


def package_lock() -> str:
    name = rng.choice(
        [
            "js-tokens",
            "loose-envify",
            "@babel/core",
            "safe-buffer",
            "passport",
            "jsonwebtoken",
            "bcrypt",
            "secret-handshake",
            "password-hash",
            "lodash",
        ]
    )
    version = f"{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 9)}"
    return (f'    "node_modules/{name}": {{\n      "version": "{version}",\n'
            f'      "resolved": "https://registry.npmjs.org/{name}/-/{name.split("/")[-1]}-{version}.tgz",\n'
            f'      "integrity": "{sri()}",\n      "dev": true\n    }},')  # fmt: skip


def yarn_lock() -> str:
    name = rng.choice(["js-tokens", "ansi-regex", "token-stream", "chalk", "debug"])
    return (
        f'{name}@^4.0.0:\n  version "4.0.1"\n  resolved '
        f'"https://registry.yarnpkg.com/{name}/-/{name}-4.0.1.tgz#{sha1()}"\n  integrity {sri()}\n'
    )


def poetry_lock() -> str:
    name = rng.choice(["requests", "keyring", "secretstorage", "passlib", "pyjwt", "tokenizers"])
    return (
        f'[[package]]\nname = "{name}"\nversion = "2.31.0"\ndescription = "Python package"\n'
        f'files = [\n    {{file = "{name}-2.31.0-py3-none-any.whl", hash = "sha256:{sha256()}"}},\n'
        f'    {{file = "{name}-2.31.0.tar.gz", hash = "sha256:{sha256()}"}},\n]\n'
    )


def go_sum() -> str:
    mod = rng.choice(["github.com/golang-jwt/jwt/v5", "golang.org/x/crypto", "github.com/aws/aws-sdk-go"])
    h1 = base64.b64encode(rng.randbytes(32)).decode()
    return f"{mod} v5.2.1 h1:{h1}\n{mod} v5.2.1/go.mod h1:{base64.b64encode(rng.randbytes(32)).decode()}\n"


def git_log() -> str:
    return "\n".join(f"commit {sha1()}\nAuthor: Dev <dev@example.com>\n\n    Fix token refresh ({sha1()[:7]})"
                     for _ in range(2))  # fmt: skip


def uuids() -> str:
    return json.dumps({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "session": str(uuid.UUID(int=rng.getrandbits(128), version=4))})  # fmt: skip


def css() -> str:
    colours = [f"#{chars('0123456789abcdef', 6)}" for _ in range(4)]
    return (
        f".task-list-item-checkbox {{ color: {colours[0]}; background: {colours[1]}; }}\n"
        f".disk-usage-bar {{ border: 1px solid {colours[2]}; }}\n:root {{ --accent: {colours[3]}; }}"
    )


def gitea_urls() -> str:
    return (
        f"https://gitea.example.com/org/repo/commit/{sha1()}\n"
        f"https://gitea.example.com/org/repo/src/commit/{sha1()}/README.md\n"
        f"git@gitea.example.com:org/repo.git\nhttps://ci@gitea.example.com/org/repo.git"
    )


def gitea_api_json() -> str:
    return json.dumps({"sha": sha1(), "url": f"http://127.0.0.1:3000/api/v1/repos/o/r/git/commits/{sha1()}",
                       "commit": {"tree": {"sha": sha1()}, "message": "Rotate the signing key"},
                       "parents": [{"sha": sha1()}], "token_last_eight": sha1()[:8]})  # fmt: skip


GENERATED_CLEAN: dict[str, Callable[[], str]] = {
    "package_lock": package_lock, "yarn_lock": yarn_lock, "poetry_lock": poetry_lock,
    "go_sum": go_sum, "git_log": git_log, "uuid": uuids, "png_data_uri": png_data_uri,
    "css": css, "gitea_url": gitea_urls, "gitea_api": gitea_api_json,
    "sha256sums": lambda: f"{sha256()}  dist/app-1.2.3.tar.gz\n{sha256()}  dist/app-1.2.3.whl",
    "docker_digest": lambda: f"FROM python:3.11-slim@sha256:{sha256()}",
    "integrity_html": lambda: f'<script src="/app.js" integrity="{sri()}" crossorigin="anonymous"></script>',
}  # fmt: skip


def clean_samples() -> list[dict[str, str]]:
    """Hand-written near misses plus many generated checksums, hashes and ids."""
    handwritten = (HERE / "clean_handwritten.txt").read_text().split("\n%%\n")
    samples = [{"kind": "code", "text": text} for text in handwritten]
    for kind, make in GENERATED_CLEAN.items():
        samples += [{"kind": kind, "text": make()} for _ in range(14)]
    return samples


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


if __name__ == "__main__":
    write_jsonl(HERE / "secrets.jsonl", secret_samples())
    write_jsonl(HERE / "clean.jsonl", clean_samples())
