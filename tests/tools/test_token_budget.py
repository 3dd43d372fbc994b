"""The token budget of tools/list: a new tool or a longer definition pays for itself visibly.

The budgets are the measured o200k_base counts of the whole tools/list response body (bench/bench_tokens.py,
recorded in bench/RESULTS.md). A change that grows a profile past its recorded count by more than 5% fails
here: measure again, record the new numbers in bench/RESULTS.md, and raise the budget in the same commit.
Needs Node and gpt-tokenizer (`make clients`).
"""

from __future__ import annotations

import pytest

from bench import bench_tokens

# profile -> (tools, tokens) as recorded in bench/RESULTS.md (2026-12-07, MCP_OUTPUT_SCHEMAS=compact)
RECORDED = {
    "all": (43, 10_718),
    "read": (28, 6_076),
}
GROWTH = 1.05
TARGETS = {"all": 12_000, "read": 7_000}  # issue 15: never above these, whatever is recorded

pytestmark = pytest.mark.skipif(
    not bench_tokens.tokenizer_available(), reason="Node + gpt-tokenizer missing: run `make clients`"
)


def test_tokenizer_is_o200k_base() -> None:
    # Counts pinned with gpt-tokenizer 4.0.0's o200k_base: the budgets below are in this tokenizer's tokens.
    assert bench_tokens.count_tokens(["hello world", "Невидимые символы 🙂", ""]) == [2, 6, 0]


@pytest.mark.parametrize("profile", sorted(RECORDED))
def test_tools_list_stays_within_its_recorded_budget(profile: str) -> None:
    app = bench_tokens.app_for(write_mode=profile == "all")
    body = bench_tokens.tools_list_body(app)
    tools, budget = RECORDED[profile]
    [tokens] = bench_tokens.count_tokens([body.decode()])
    assert len(bench_tokens.tools_of(body)) == tools
    assert tokens <= budget * GROWTH, (
        f"tools/list ({profile}) costs {tokens} o200k tokens, over its recorded {budget} + 5%: "
        "make the new definitions leaner, or measure with `python -m bench.bench_tokens`, record the numbers "
        "in bench/RESULTS.md and raise RECORDED here"
    )
    assert tokens <= TARGETS[profile], f"tools/list ({profile}) is over issue 15's target {TARGETS[profile]}"


def test_the_files_issues_selection_stays_small() -> None:
    body = bench_tokens.tools_list_body(bench_tokens.app_for(write_mode=False), "toolsets=files,issues")
    [tokens] = bench_tokens.count_tokens([body.decode()])
    assert len(bench_tokens.tools_of(body)) == 6 and tokens <= 2_500
