"""Write arguments carrying secrets are refused, naming the field and kind, never the value."""

from __future__ import annotations

from app.safety.inbound import InboundSecret, check_inbound, refusal_message

FAKE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEFAKEFAKEowIBAAKCAQEA0123456789\n-----END RSA PRIVATE KEY-----"
FAKE_GITHUB = "ghp_FAKE7Fk0123456789abcdefABCDEFGHIJ0123"


def test_a_comment_carrying_a_private_key_is_refused_by_default():
    found = check_inbound({"owner": "org", "repo": "app", "body": f"here is the key:\n{FAKE_KEY}"}, "mask")
    assert found == [InboundSecret("body", ["private_key"])]


def test_block_mode_refuses_too():
    assert check_inbound({"body": FAKE_GITHUB}, "block") == [InboundSecret("body", ["github_token"])]


def test_clean_arguments_pass():
    fields = {
        "title": "Fix login",
        "body": "Closes #4. sha 0a4d55a8d778e5022fab701977c5d840bbc486d0",
        "labels": ["bug"],
    }
    assert check_inbound(fields, "mask") == []


def test_off_mode_checks_nothing():
    assert check_inbound({"body": FAKE_KEY}, "off") == []


def test_nested_arguments_are_named_by_path():
    fields = {"files": [{"path": "a.txt", "content": "ok"}, {"path": ".env", "content": f"TOKEN={FAKE_GITHUB}"}]}
    assert check_inbound(fields, "mask") == [InboundSecret("files[1].content", ["github_token"])]


def test_refusal_message_names_field_and_kind_but_never_the_value():
    message = refusal_message(check_inbound({"body": FAKE_GITHUB, "title": FAKE_KEY}, "mask"))
    assert "'body' (github_token)" in message and "'title' (private_key)" in message
    assert FAKE_GITHUB not in message and "MIIE" not in message


# --- what the rendered page shows (issue 20, F6) ------------------------------------------


def test_a_token_split_by_an_html_comment_is_refused():
    split = f"{FAKE_GITHUB[:14]}<!-- nothing to see -->{FAKE_GITHUB[14:]}"
    assert check_inbound({"body": f"deploy with {split}"}, "mask") == [InboundSecret("body", ["github_token"])]


def test_a_token_split_by_invisible_characters_markup_or_escapes_is_refused():
    for split in (f"{FAKE_GITHUB[:9]}\u200b{FAKE_GITHUB[9:20]}\u2060{FAKE_GITHUB[20:]}",
                  f"{FAKE_GITHUB[:9]}<b></b>{FAKE_GITHUB[9:]}",
                  f"{FAKE_GITHUB[:9]}**{FAKE_GITHUB[9:20]}**{FAKE_GITHUB[20:]}",
                  f"ghp\\_{FAKE_GITHUB[4:]}",
                  f"ghp&#95;{FAKE_GITHUB[4:]}"):
        assert check_inbound({"body": split}, "mask") == [InboundSecret("body", ["github_token"])], split


def test_a_secret_inside_a_comment_is_still_refused():
    assert check_inbound({"body": f"ok <!-- {FAKE_GITHUB} -->"}, "mask") == [InboundSecret("body", ["github_token"])]
    assert check_inbound({"body": f"[//]: # ({FAKE_GITHUB})\nok"}, "mask") == [InboundSecret("body", ["github_token"])]


def test_comments_shown_as_code_and_ordinary_markup_pass():
    fields = {"body": "Template:\n```html\n<!-- your text -->\n```\n**Bold** `code` \\_x\\_ &amp; <br/> done",
              "title": "Fix <b>login</b>"}
    assert check_inbound(fields, "mask") == []


def test_a_token_split_by_markdown_that_renders_as_nothing_is_refused():
    a, b = FAKE_GITHUB[:20], FAKE_GITHUB[20:]
    for split in (f"{a}[](https://x){b}", f"{a}[][x]{b}\n\n[x]: https://x", f"[{a}](https://x){b}",
                  f"{a}<span title='a>b'></span>{b}", f"{a}<?x?>{b}", f"{a}<![CDATA[]]>{b}", f"{a}<!X >{b}",
                  f"{a}![](x){b}"):
        assert check_inbound({"body": split}, "mask") == [InboundSecret("body", ["github_token"])], split
