// o200k_base token counts, offline (gpt-tokenizer ships the vocabulary).
// stdin: a JSON array of strings; stdout: a JSON array of their token counts, in order.
// Used by bench/bench_tokens.py and tests/tools/test_token_budget.py (installed by `make clients`).
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const texts = JSON.parse(input);
  process.stdout.write(JSON.stringify(texts.map((text) => encode(text).length)));
});
