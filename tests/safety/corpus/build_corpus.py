"""Build the labelled secret-detection corpus (deterministic: seeded; rerun to regenerate).

secrets.jsonl.gz: {"kind", "secret", "text"}: a synthetic, pattern-valid credential in context.
clean.jsonl.gz:   {"kind", "text"}: secret-free text of a labelled negative kind (placeholders,
                  interpolation, vendors' example keys, SHAs, UUIDs, lockfiles, images, public keys...).
Every value is drawn from a seeded random generator: none is, or was ever, a real credential.

    .venv/bin/python tests/safety/corpus/build_corpus.py
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).parent
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"
UPPER_DIGITS = string.ascii_uppercase + string.digits
NO_DIGITS = str.maketrans("0123456789", "abcdefghij")
rng = random.Random(20261207)
PER_KIND = 24  # rows per credential kind (contexts are cycled, each row with a fresh value)


def chars(alphabet: str, n: int) -> str:
    """n seeded-random characters from `alphabet`."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(n: int, alphabet: str = ALNUM) -> str:
    """Random characters holding at least a digit, an upper and a lower letter."""
    body = list(rng.choice(string.digits) + rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_lowercase)
                + chars(alphabet, n - 3))  # fmt: skip
    rng.shuffle(body)
    return "".join(body)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as in JWTs."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_pem(label: str) -> str:
    """A PEM block whose body is random bytes."""
    body = base64.b64encode(rng.randbytes(rng.randrange(200, 600))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def fake_jwt() -> str:
    """A structurally valid HS256 JWT with a random subject and signature."""
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url(json.dumps({"sub": chars(HEX, 12), "iat": rng.randrange(10**9, 2 * 10**9)}).encode())
    return f"{header}.{payload}.{b64url(rng.randbytes(32))}"


def password() -> str:
    """A chosen-looking password: starts with a letter or digit, then letters, digits and symbols.

    (Passwords starting with a template character are `allowlist_evasion` rows.)"""
    return rng.choice(ALNUM) + mixed(rng.randrange(9, 19), ALNUM + "!#%*@^_-.")


def passphrase() -> str:
    """Three or four lower-case words and a number."""
    words = ["orbit", "copper", "meadow", "lantern", "quartz", "harbor", "velvet", "cactus", "glacier", "pepper"]
    return " ".join(rng.sample(words, rng.randrange(3, 5))) + f" {rng.randrange(10, 99)}"


GENERATORS: dict[str, Callable[[], str]] = {
    "aws_access_key_id": lambda: rng.choice(["AKIA", "ASIA"]) + chars(BASE32, 15) + rng.choice("234567"),
    "aws_secret_key": lambda: mixed(40, B64),
    "github_token": lambda: rng.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + mixed(36),
    "github_pat": lambda: "github_pat_" + mixed(22) + "_" + mixed(59),
    "gitlab_token": lambda: rng.choice(["glpat-", "gldt-", "glrt-"]) + mixed(20, B64URL),
    "slack_token": lambda: f"xox{rng.choice('bpa')}-{chars(string.digits, 12)}-{chars(string.digits, 13)}-{mixed(24)}",
    "slack_webhook": lambda: f"T{chars(UPPER_DIGITS, 10)}/B{chars(string.ascii_uppercase, 10)}/{mixed(24)}",
    "stripe_key": lambda: rng.choice(["sk_live_", "rk_live_"]) + mixed(rng.randrange(24, 99)),
    "google_api_key": lambda: "AIza" + mixed(35, B64URL),
    "openai_key": lambda: "sk-proj-" + mixed(74, B64URL) + "T3BlbkFJ" + mixed(74, B64URL),
    "anthropic_key": lambda: "sk-ant-api03-" + mixed(93, B64URL) + "AA",
    "azure_storage_key": lambda: base64.b64encode(rng.randbytes(64)).decode(),
    "jwt": fake_jwt,
    "url_password": lambda: quote(password(), safe=""),
    "gitea_token": lambda: chars(HEX, 40),
    "gitea_client_token": lambda: chars(HEX, 40),
    "password": password,
    "password_prose": password,
    "password_xml": password,
    "passphrase": passphrase,
    "api_key": lambda: mixed(32),
    "api_key_header": lambda: mixed(32, B64URL),
    "api_key_query": lambda: mixed(32),
    "generic_secret": lambda: mixed(rng.randrange(24, 64), B64URL),
    "generic_key": lambda: rng.choice([chars(HEX, 64), mixed(32), base64.b64encode(rng.randbytes(32)).decode()]),
    "bearer_token": lambda: mixed(40, B64URL + "."),
    "basic_auth": lambda: base64.b64encode(f"ci-bot:{password()}".encode()).decode(),
    "npm_token": lambda: "npm_" + mixed(36),
    "pypi_token": lambda: "pypi-AgEIcHlwaS5vcmc" + mixed(rng.randrange(60, 150), B64URL),
    "dockerhub_token": lambda: "dckr_pat_" + mixed(27, B64URL),
    "huggingface_token": lambda: "hf_" + mixed(34, string.ascii_letters).translate(NO_DIGITS),
    "sendgrid_key": lambda: f"SG.{mixed(22, B64URL)}.{mixed(43, B64URL)}",
    "digitalocean_token": lambda: "dop_v1_" + chars(HEX, 64),
    "shopify_token": lambda: rng.choice(["shpat_", "shpss_"]) + chars(HEX, 32),
    "private_key": lambda: fake_pem(rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY",
                                                "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])),
}  # fmt: skip

CONTEXTS: dict[str, list[str]] = {
    "aws_access_key_id": ['AWS_ACCESS_KEY_ID="{s}"', "aws_access_key_id = {s}", '{{"AccessKeyId": "{s}"}}',
                          "export AWS_ACCESS_KEY_ID={s}", "  access_key: {s}\n", "creds: {s}:secret"],
    "aws_secret_key": ["aws_secret_access_key = {s}", 'AWS_SECRET_ACCESS_KEY="{s}"', '"SecretAccessKey": "{s}",',
                       "secret_key: {s}", "aws_secret_key='{s}'"],
    "github_token": ['GITHUB_TOKEN="{s}"', "git clone https://{s}@github.com/org/repo.git",
                     "headers = {{'Authorization': 'token {s}'}}", "Use {s} for the CI bot.",
                     "- run: echo {s} | docker login ghcr.io -u bot --password-stdin", '{{"token": "{s}"}}'],
    "github_pat": ["gh auth login --with-token <<< {s}", 'pat = "{s}"', "token: {s}\n", "GH_PAT={s}"],
    "gitlab_token": ["GITLAB_TOKEN={s}", "curl --header 'PRIVATE-TOKEN: {s}' https://gl/api", 'private_token = "{s}"',
                     "glab auth login -t {s}"],
    "slack_token": ['SLACK_BOT_TOKEN="{s}"', "client = WebClient(token='{s}')", "bot: {s}", "The bot uses {s} now."],
    "slack_webhook": ["SLACK_WEBHOOK=https://hooks.slack.com/services/{s}",
                      'curl -X POST -d @msg.json "https://hooks.slack.com/services/{s}"',
                      "webhook_url: https://hooks.slack.com/services/{s}"],
    "stripe_key": ['stripe.api_key = "{s}"', "STRIPE_SECRET={s}", "const stripe = Stripe('{s}');", "key {s} leaked"],
    "google_api_key": ['const firebaseConfig = {{ apiKey: "{s}" }};', "GOOGLE_API_KEY={s}",
                       "https://maps.googleapis.com/maps/api/js?key={s}&callback=init"],
    "openai_key": ['OPENAI_API_KEY="{s}"', "client = OpenAI(api_key='{s}')", "openai.api_key = {s}"],
    "anthropic_key": ['ANTHROPIC_API_KEY="{s}"', "x-api-key: {s}", "client = anthropic.Anthropic(api_key='{s}')"],
    "azure_storage_key": [
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=core.windows.net",
        '"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=test;AccountKey={s}"',
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={s}",
    ],
    "jwt": ["Authorization: Bearer {s}", '{{"access_token": "{s}", "expires_in": 3600}}',
            "curl -H 'Authorization: Bearer {s}' http://127.0.0.1/api", "id_token={s}&state=x", "const jwt = '{s}';"],
    "url_password": ["DATABASE_URL=postgres://app:{s}@db.internal:5432/app", "redis_url: redis://default:{s}@cache:6379/0",
                     "git remote add origin https://ci-bot:{s}@gitea.example.com/org/repo.git",
                     'amqp_url = "amqp://guest:{s}@rabbit:5672/"', "[mongo](mongodb://root:{s}@mongo:27017)"],
    "gitea_token": ["GITEA_TOKEN={s}", 'gitea_token = "{s}"', "token: {s}", '{{"api_token": "{s}"}}',
                    "Authorization: token {s}", "export GITEA_ACCESS_TOKEN='{s}'", "tea login add --token {s}"],
    "gitea_client_token": ['client, err := gitea.NewClient(url, gitea.SetToken("{s}"))', 'c.SetToken("{s}")',
                           'opts := Options{{URL: base, Token: "{s}"}}', 'cfg := &Config{{Token: "{s}"}}',
                           "api = GiteaApi(host, token='{s}')", 'client = Gitea(url, set_token("{s}"))'],
    "password": ['DB_PASSWORD="{s}"', "password: '{s}'", 'conn = connect(password="{s}")',
                 '$config["db_password"] = "{s}";', "spring.datasource.password={s}", "MYSQL_ROOT_PASSWORD={s}",
                 'passwd := "{s}"', "  :password => '{s}',", "PGPASSWORD={s} psql -h db", "pwd={s}"],
    "password_prose": ["The staging password is `{s}` until Friday.", "Log in with password `{s}`.",
                       "admin / password: `{s}`", "The new password is **{s}**", "db password is {s} for now",
                       "- password `{s}` (rotate after the demo)", "I reset the password to `{s}`, please change it."],
    "password_xml": ["<password>{s}</password>",
                     "<server><id>nexus</id><username>ci</username><password>{s}</password>",
                     '<property name="db.password">{s}</property>', "<Password>{s}</Password>",
                     "<passphrase>{s}</passphrase>", "<jdbc.password>{s}</jdbc.password>"],
    "passphrase": ['password = "{s}"', "auth_token: '{s}'", 'SECRET="{s}"', '"passphrase": "{s}"'],
    "api_key": ['API_KEY="{s}"', "api_key: {s}", 'apiKey: "{s}",', "sendgrid_api_key = '{s}'", '"x-api-key": "{s}"',
                "X_API_KEY={s}"],
    "api_key_header": ['curl -H "X-API-Key: {s}" https://api.example.com/v1/items',
                       "curl -H 'X-Api-Key: {s}' http://127.0.0.1:8080/",
                       'http GET :8080/items "X-API-KEY:{s}"', 'requests.get(url, headers={{"x-api-key": "{s}"}})',
                       "wget --header=\"Api-Key: {s}\" https://x/y"],
    "api_key_query": ["https://api.example.com/v1/search?q=x&api_key={s}&page=2",
                      "GET /v2/forecast?apikey={s} HTTP/1.1", "curl 'https://x.example/data?access_token={s}'",
                      'fetch(`/api/items?api_key={s}`)', "https://example.com/hook?token={s}",
                      "?client_secret={s}&grant_type=client_credentials"],
    "generic_secret": ["JWT_SECRET={s}", "SESSION_SECRET: {s}", 'webhook_secret = "{s}"', "APP_SECRET={s}",
                       "export HMAC_SECRET='{s}'", '"clientSecret": "{s}"'],
    "generic_key": ["ENCRYPTION_KEY={s}", "SIGNING_KEY: {s}", 'master_key = "{s}"', "APP_KEY={s}",
                    "export LICENSE_KEY='{s}'", '"encryptionKey": "{s}",', "DJANGO_SECRET_KEY={s}", "aes_key: {s}"],
    "bearer_token": ["Authorization: Bearer {s}", "curl -H 'Authorization: Bearer {s}' https://api/x",
                     'headers: {{ Authorization: "Bearer {s}" }}', "-H \"authorization: bearer {s}\""],
    "basic_auth": ["Authorization: Basic {s}", "curl -H 'Authorization: Basic {s}' https://x/api",
                   '"authorization": "Basic {s}"'],
    "npm_token": ["//registry.npmjs.org/:_authToken={s}", "NPM_TOKEN={s}", "npm config set //r/:_authToken {s}"],
    "pypi_token": ["TWINE_PASSWORD={s}", "password = {s}", "twine upload -u __token__ -p {s} dist/*"],
    "dockerhub_token": ["echo {s} | docker login -u ci --password-stdin", "DOCKERHUB_TOKEN={s}", "token {s}"],
    "huggingface_token": ["HF_TOKEN={s}", "huggingface-cli login --token {s}", "login('{s}')"],
    "sendgrid_key": ["SENDGRID_API_KEY={s}", "sg = SendGridAPIClient('{s}')", "key {s}"],
    "digitalocean_token": ["DIGITALOCEAN_TOKEN={s}", "doctl auth init -t {s}", 'do_token = "{s}"'],
    "shopify_token": ["SHOPIFY_ACCESS_TOKEN={s}", "X-Shopify-Access-Token: {s}", "token {s}"],
    "private_key": ["Key for the test box:\n{s}\n", '{{"type": "service_account", "private_key": "{e}\\n"}}',
                    "ssh_key: |\n  {i}\n", "```\n{s}\n```"],
}  # fmt: skip


def secret_row(kind: str, context: str) -> dict[str, str]:
    """One labelled row: a fresh value in `context` (`{e}`: JSON-escaped, `{i}`: YAML-indented)."""
    value = GENERATORS[kind]()
    escaped, indented = value.replace("\n", "\\n"), value.replace("\n", "\n  ")
    secret = escaped if "{e}" in context else value
    text = context.format(s=value, e=escaped, i=indented)
    return {"kind": kind, "secret": secret.split("\n")[1] if "{i}" in context else secret, "text": text}


def secret_samples() -> list[dict[str, str]]:
    """PER_KIND rows of every credential kind, cycling through its contexts."""
    return [secret_row(kind, contexts[n % len(contexts)])
            for kind, contexts in CONTEXTS.items() for n in range(PER_KIND)]  # fmt: skip


# --- negatives ----------------------------------------------------------------------------


def sha1() -> str:
    return hashlib.sha1(rng.randbytes(16)).hexdigest()


def sha256() -> str:
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


def sri() -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(rng.randbytes(16)).digest()).decode()


def pick(*options: str) -> str:
    return rng.choice(options)


PLACEHOLDERS = ["your-access-key-id", "YOUR_API_KEY_HERE", "<token>", "<your-token>", "x" * 40, "changeme",
                "CHANGE_ME", "your_password", "<password>", "****************", "replace-with-your-secret",
                "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AKIAXXXXXXXXXXXXXXXX",
                "my-secret-token", "api_key_value", "INSERT_TOKEN_HERE", "<YOUR_GITEA_TOKEN>", "dummy-password-1",
                "example-secret", "TODO", "your-client-secret", "placeholder", "secret_value_here",
                "0" * 40]  # fmt: skip
NAMES = ["DB_PASSWORD", "API_KEY", "GITEA_TOKEN", "AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET", "SECRET_KEY",
         "AWS_ACCESS_KEY_ID", "STRIPE_API_KEY", "JWT_SECRET", "ENCRYPTION_KEY", "ADMIN_PASSWORD",
         "AUTH_TOKEN"]  # fmt: skip


def placeholder() -> str:
    """`.env.example` lines and README setup steps with values to be filled in."""
    name, value = rng.choice(NAMES), rng.choice(PLACEHOLDERS)
    return pick(f"{name}={value}", f'{name.lower()}: "{value}"', f"export {name}={value}",
                f"Set `{name}` to `{value}` in your `.env`.", f"  {name.lower()}: {value}\n",
                f'{{"{name.lower()}": "{value}"}}', f"curl -H 'X-API-Key: {value}' https://api.example.com",
                f"https://api.example.com/v1?api_key={value}&page=1", f"<password>{value}</password>",
                f"password `{value}`", f'client.SetToken("{value}")')  # fmt: skip


def interpolation() -> str:
    """Compose, shell, CI and template interpolation: the value comes from elsewhere."""
    name = rng.choice(NAMES)
    value = pick(f"${{{name}}}", f"${{{name}:?must be set}}", f"${name}", f"${{{name}:-}}", f"{{{{ secrets.{name} }}}}",
                 f"{{{{ .Values.{name.lower()} }}}}", f"%env({name})%", f"$(cat /run/secrets/{name.lower()})",
                 f"%({name.lower()})s", f"#{{ENV['{name}']}}", f"${{env.{name}}}", f"$({name})")  # fmt: skip
    return pick(f"{name}={value}", f"      {name}: {value}", f'{name.lower()} = "{value}"',
                f"<password>{value}</password>", f"postgres://app:{value}@db:5432/app", f"password `{value}`",
                f'-H "Authorization: Bearer {value}"', f"?api_key={value}&x=1")  # fmt: skip


EXAMPLES = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE",
            "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"]  # fmt: skip
JWT_IO = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
          "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def example_key() -> str:
    """Vendors' documented example keys, as they appear in READMEs and tests."""
    key_id, secret = rng.choice(EXAMPLES[0::2]), rng.choice(EXAMPLES[1::2])
    return pick(f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}",
                f"export AWS_ACCESS_KEY_ID={key_id}\nexport AWS_SECRET_ACCESS_KEY={secret}",
                f'{{"AccessKeyId": "{key_id}", "SecretAccessKey": "{secret}"}}',
                f"Authorization: Bearer {JWT_IO}", f"AWS_ACCESS_KEY_ID={key_id}")  # fmt: skip


def git_sha() -> str:
    """Commit ids in logs, URLs, API answers and commands."""
    return pick(f"commit {sha1()}\nAuthor: Dev <dev@example.com>\n\n    Fix token refresh ({sha1()[:7]})",
                f"git checkout {sha1()}", f'sha = "{sha1()}"', f"https://gitea.example.com/org/repo/commit/{sha1()}",
                json.dumps({"sha": sha1(), "commit": {"tree": {"sha": sha1()}}, "parents": [{"sha": sha1()}]}),
                f"Merge: {sha1()[:12]} {sha1()[:12]}", f"  rev: {sha1()}", f"ref: {sha1()}",
                f"head_commit_id={sha1()}", f"- uses: actions/checkout@{sha1()}", f"token refresh fixed in {sha1()}",
                f"  key: deps-{sha1()}", f"cache_key: {sha1()}")  # fmt: skip


def uuids() -> str:
    """Request ids, object ids, session ids."""
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return pick(json.dumps({"id": u, "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}),
                f"session_id: {u}", f"X-Request-Id: {u}", f"tenant_key = {u}", f"token_id={u}", f"idempotency_key: {u}",
                f"api_key_id: {u}", f"correlation-id {u}")  # fmt: skip


def package_lock() -> str:
    name = pick("js-tokens", "loose-envify", "@babel/core", "safe-buffer", "passport", "jsonwebtoken", "bcrypt",
                "secret-handshake", "password-hash", "lodash", "keygrip", "api-key-auth")  # fmt: skip
    version = f"{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 9)}"
    return (f'    "node_modules/{name}": {{\n      "version": "{version}",\n'
            f'      "resolved": "https://registry.npmjs.org/{name}/-/{name.split("/")[-1]}-{version}.tgz",\n'
            f'      "integrity": "{sri()}",\n      "dev": true\n    }},')  # fmt: skip


def yarn_lock() -> str:
    name = pick("js-tokens", "ansi-regex", "token-stream", "chalk", "debug", "secret-stream")
    return (f'{name}@^4.0.0:\n  version "4.0.1"\n  resolved '
            f'"https://registry.yarnpkg.com/{name}/-/{name}-4.0.1.tgz#{sha1()}"\n  integrity {sri()}\n')  # fmt: skip


def poetry_lock() -> str:
    name = pick("requests", "keyring", "secretstorage", "passlib", "pyjwt", "tokenizers")
    return (f'[[package]]\nname = "{name}"\nversion = "2.31.0"\n'
            f'files = [\n    {{file = "{name}-2.31.0-py3-none-any.whl", hash = "sha256:{sha256()}"}},\n'
            f'    {{file = "{name}-2.31.0.tar.gz", hash = "sha256:{sha256()}"}},\n]\n')  # fmt: skip


def go_sum() -> str:
    mod = pick("github.com/golang-jwt/jwt/v5", "golang.org/x/crypto", "github.com/aws/aws-sdk-go")
    h1 = base64.b64encode(rng.randbytes(32)).decode()
    return f"{mod} v5.2.1 h1:{h1}\n{mod} v5.2.1/go.mod h1:{base64.b64encode(rng.randbytes(32)).decode()}\n"


def cargo_lock() -> str:
    name = pick("ring", "rustls", "jsonwebtoken", "secrecy", "aes-gcm")
    return (f'[[package]]\nname = "{name}"\nversion = "0.17.8"\n'
            f'source = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "{sha256()}"\n')


def png_data_uri() -> str:
    body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(rng.randrange(200, 900))
    uri = "data:image/png;base64," + base64.b64encode(body).decode()
    return pick(uri, f'<img src="{uri}" alt="logo">', f"background: url({uri});", f"![badge]({uri})")


def minified_js() -> str:
    """Bundler output: short names, string tables, hashed chunk names, keyed objects."""
    ids = [chars(string.ascii_letters, rng.randrange(1, 3)) for _ in range(6)]
    chunk = chars(HEX, 20)
    return (f'!function(){{var {ids[0]}="{chars(ALNUM, 12)}",{ids[1]}={{key:"render",value:function({ids[2]})'
            f'{{return {ids[2]}.token&&{ids[2]}.password}}}};{ids[3]}.p="/static/js/{chunk}.chunk.js";'
            f'{ids[4]}.apiKey={ids[5]}.env.API_KEY;var s={{"{chars(HEX, 8)}":"{chars(B64, 28)}"}}}}();'
            f"//# sourceMappingURL=main.{chars(HEX, 8)}.js.map")  # fmt: skip


def public_key() -> str:
    """Public keys and certificates: published on purpose."""
    der = base64.b64encode(rng.randbytes(rng.randrange(64, 300))).decode()
    body = "\n".join(der[i : i + 64] for i in range(0, len(der), 64))
    return pick(f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----",
                f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----",
                f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{chars(B64, 43)} deploy@ci",
                f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{chars(B64, 300)} dev@laptop",
                f"PUBLIC_KEY={der}", f'"publicKey": "{der}"',
                f"deploy_key_pub: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{chars(B64, 40)}",
                f"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{body}\n-----END PGP PUBLIC KEY BLOCK-----",
                f"VAPID_PUBLIC_KEY={b64url(rng.randbytes(65))}")  # fmt: skip


def checksum() -> str:
    """Release checksums, image digests, subresource integrity, file hashes."""
    return pick(f"{sha256()}  dist/app-1.2.3.tar.gz\n{sha256()}  dist/app-1.2.3.whl",
                f"FROM python:3.11-slim@sha256:{sha256()}", f"image: ghcr.io/org/app@sha256:{sha256()}",
                f'<script src="/app.js" integrity="{sri()}" crossorigin="anonymous"></script>',
                f"md5sum: {hashlib.md5(rng.randbytes(8)).hexdigest()}",
                f"SHA256 ({chars(string.ascii_lowercase, 6)}.zip) = {sha256()}", f'  sha256 "{sha256()}"',
                f"checksum_key: sha256:{sha256()}", f'etag: W/"{chars(HEX, 32)}"')  # fmt: skip


def css() -> str:
    colours = [f"#{chars(HEX, 6)}" for _ in range(4)]
    return (f".task-list-item-checkbox {{ color: {colours[0]}; background: {colours[1]}; }}\n"
            f".disk-usage-bar {{ border: 1px solid {colours[2]}; }}\n:root {{ --accent: {colours[3]}; }}")  # fmt: skip


def gitea_url() -> str:
    return pick(f"https://gitea.example.com/org/repo/src/commit/{sha1()}/README.md",
                "git@gitea.example.com:org/repo.git\nhttps://ci@gitea.example.com/org/repo.git",
                f"http://127.0.0.1:3000/api/v1/repos/o/r/git/commits/{sha1()}",
                f"https://gitea.example.com/org/repo/pulls/{rng.randrange(1, 999)}/files#diff-{sha1()}")  # fmt: skip


def readme_setup() -> str:
    """Operator documentation that talks about credentials without holding one."""
    name = rng.choice(NAMES)
    return pick(f"Set `{name}` to the token you created under Settings > Applications.",
                f"The password is stored in the `{name}` environment variable.",
                "Enter your password when prompted; the token is generated automatically.",
                f"1. Create an API key.\n2. Export it as `{name}`.\n3. Run `make deploy`.",
                "If the token is expired or revoked, create a new one.",
                f"| `{name}` | required | the secret used to sign sessions |",
                "The password must be at least 12 characters long.",
                "Use `--password-stdin` so the password does not end up in your shell history.",
                f"Rotate `{name}` every 90 days; see docs/Operations.md.",
                "The API key is shown only once, copy it now.")  # fmt: skip


def k8s_secret_ref() -> str:
    """Kubernetes and compose references to secrets stored elsewhere."""
    name = rng.choice(NAMES)
    return pick(f"- name: {name}\n  valueFrom:\n    secretKeyRef:\n      name: app-secrets\n      key: {name.lower()}",
                f"secrets:\n  - {name.lower()}\nenvironment:\n  {name}_FILE: /run/secrets/{name.lower()}",
                f"envFrom:\n  - secretRef:\n      name: {name.lower().replace('_', '-')}",
                f"password_file: /etc/app/{name.lower()}",
                f"token_path = /var/run/secrets/tokens/{name.lower()}")  # fmt: skip


def code() -> str:
    """Code that handles credentials by name, never by value."""
    name = rng.choice(NAMES).lower()
    return pick(f'{name} = os.environ["{name.upper()}"]', f"{name} = settings.{name.upper()}",
                f"if not {name}:\n    raise ConfigError('{name.upper()} is not set')",
                f"const {name} = process.env.{name.upper()};", f"{name} := os.Getenv(\"{name.upper()}\")",
                "token = secrets.token_urlsafe(32)", "password = getpass.getpass('Password: ')",
                "api_key = request.headers.get('X-API-Key')", f"self.{name} = {name}",
                "hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
                'key = f"{prefix}:{user_id}"')  # fmt: skip


GENERATED_CLEAN: dict[str, tuple[Callable[[], str], int]] = {
    "placeholder": (placeholder, 80), "interpolation": (interpolation, 80), "example_key": (example_key, 30),
    "git_sha": (git_sha, 60), "uuid": (uuids, 40), "package_lock": (package_lock, 30), "yarn_lock": (yarn_lock, 20),
    "poetry_lock": (poetry_lock, 20), "go_sum": (go_sum, 20), "cargo_lock": (cargo_lock, 15),
    "png_data_uri": (png_data_uri, 20), "minified_js": (minified_js, 25), "public_key": (public_key, 45),
    "checksum": (checksum, 45), "css": (css, 15), "gitea_url": (gitea_url, 20), "readme_setup": (readme_setup, 40),
    "k8s_secret_ref": (k8s_secret_ref, 25), "code": (code, 40),
}  # fmt: skip


def clean_samples() -> list[dict[str, str]]:
    """Hand-written near misses plus generated rows of every negative kind."""
    handwritten = (HERE / "clean_handwritten.txt").read_text().split("\n%%\n")
    samples = [{"kind": "code", "text": text} for text in handwritten]
    for kind, (make, count) in GENERATED_CLEAN.items():
        samples += [{"kind": kind, "text": make()} for _ in range(count)]
    return samples


# --- allowlist evasions and their near misses (drawn after every row above, which stay as they were) ---------


def evasion() -> tuple[str, str]:
    """A real-looking credential dressed as an allowlisted value: (the secret, the text holding it)."""
    token = pick("ghp_" + mixed(36), "glpat-" + mixed(20, B64URL),
                 f"xoxb-{chars(string.digits, 12)}-{chars(string.digits, 13)}-{mixed(24)}")
    aws_id, aws_secret = "AKIA" + chars(BASE32, 9) + "EXAMPLE", mixed(30, B64) + "EXAMPLEKEY"
    pw, start, word = password(), rng.choice("$~<{*!"), rng.choice(["your", "todo", "example", "xxxx", "here"])
    glued = pw[:5] + word + pw[5:]
    hexed, filled = chars(HEX, 32), token + rng.choice("0xza") * rng.randrange(6, 12)
    return rng.choice([
        (filled, f"TOKEN={filled}"), (aws_id, f"AWS_ACCESS_KEY_ID={aws_id}"),
        (aws_secret, f'aws_secret_access_key = "{aws_secret}"'),
        (start + pw, f'DB_PASSWORD="{start}{pw}"'), (glued, f'password: "{glued}"'),
        (hexed, f'api_key = "{hexed}${{{rng.choice(NAMES)}}}"'),
    ])  # fmt: skip


def near_miss() -> str:
    """Whole templates, filler bodies and placeholder words that the evasions imitate: left readable."""
    name = rng.choice(NAMES)
    return pick(f"AWS_ACCESS_KEY_ID=AKIA{'X' * 16}", f"TOKEN=ghp_{'x' * 36}", f"SLACK_TOKEN=xoxb-{'0' * 12}-{'x' * 24}",
                f'{name} = "${{{name}:-changeme}}"', f'{name.lower()}: "<your {name.lower().replace("_", " ")}>"',
                f"{name.lower()}: !vault |\n  $ANSIBLE_VAULT;1.1;AES256", f'{name.lower()}: "${name}"',
                f'{name.lower()} = "replace-with-your-{name.lower()}"', f'api_key: "Bearer ${{{name}}}"',
                f'{name.lower()} = "not-a-real-{name.lower()}"')  # fmt: skip


EVASIONS = 60


def evasion_rows() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """EVASIONS labelled evasions and as many near misses."""
    secrets = [{"kind": "allowlist_evasion", "secret": secret, "text": text} for secret, text in
               (evasion() for _ in range(EVASIONS))]  # fmt: skip
    return secrets, [{"kind": "allowlist_near_miss", "text": near_miss()} for _ in range(EVASIONS)]


def write_jsonl_gz(path: Path, rows: list[dict[str, str]]) -> None:
    """Gzipped JSON lines, byte-identical on every run (no timestamp in the gzip header)."""
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(data, mtime=0))


if __name__ == "__main__":
    secrets, clean = secret_samples(), clean_samples()
    evasions, near_misses = evasion_rows()
    write_jsonl_gz(HERE / "secrets.jsonl.gz", secrets + evasions)
    write_jsonl_gz(HERE / "clean.jsonl.gz", clean + near_misses)
