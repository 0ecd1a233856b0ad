// Makes reference tokenizer cases with @lenml/tokenizers 3.7.2, the implementation that produced
// the golden-encodings.json files: fixed texts plus seeded random strings of awkward characters,
// encoded with and without special tokens, and the decoded text of each id list.
//   node tokenizer-cases.mjs TOKENIZER_DIR > reference-cases.json
import { readFileSync } from "node:fs";
import { TokenizerLoader } from "@lenml/tokenizers";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node tokenizer-cases.mjs TOKENIZER_DIR (holding tokenizer.json and tokenizer_config.json)");
  process.exit(2);
}
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")),
  tokenizerConfig: JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")),
});

// mulberry32: a small seeded generator, so the cases are the same on every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Letters of every case class, marks, numbers, Unicode spaces and breaks, apostrophes, emoji,
// special-token fragments. No lone surrogates: they are not text any encoder agrees on.
const ALPHABET = [
  "a", "b", "s", "t", "d", "m", "l", "r", "e", "v", "S", "T", "D", "M", "L", "R", "E", "V", "Q", "ſ", "İ", "ǅ",
  "ʰ", "ー", "中", "文", "ß", "é", "É", "\u0301", "\u20DD", "\u0903", "я", "Я", "ग", "\u094C", "한",
  "0", "7", "٣", "Ⅻ", "½", "²", "𝟘",
  " ", " ", " ", " ", "\t", "\n", "\n", "\r", "\u00A0", "\u3000", "\u200B",
  "'", "'", "’", "/", "-", ".", ",", "!", "(", "#", "_", "😀", "🚀", "👩‍👩‍👧", "▁", "Ġ",
  "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<think>", "<|endoftext|>", "<|channel|>", "<0x41>",
  "the", " the", "ing", " token", "Hello", " world", "1234",
];

const fixed = [
  "The Mixture-of-Experts layer routes each token to 2 of 8 experts; only those run.\n\n" +
    "  Indented line with trailing spaces   \r\nWindows line\tand a tab. It's 3.14159, isn't it?",
  "def route(x):\n    logits = x @ W_router  # (tokens, experts)\n    return logits.topk(2)\n",
  "Ünïcödé: 数字 12345 和 中文, Привет, мир! 안녕하세요 세계 मौसम अच्छा है 🚀🔥",
  " ", "  ", "\n", " \n ", "a", "'s", "'S", "ſ", "<s><s></s>", "<|im_start|><|im_end|>",
];

const next = rng(20251126);
const texts = [...fixed];
for (let n = 0; n < 300; n++) {
  const len = 1 + Math.floor(next() * (n % 10 === 0 ? 40 : 12));
  let s = "";
  for (let k = 0; k < len; k++) s += ALPHABET[Math.floor(next() * ALPHABET.length)];
  texts.push(s);
}

const cases = texts.map((text, i) => {
  const add_special_tokens = i % 4 === 3;
  const ids = tokenizer.encode(text, { add_special_tokens });
  return { text, add_special_tokens, ids, decoded: tokenizer.decode(ids, { skip_special_tokens: false }) };
});
process.stdout.write("[\n" + cases.map((c) => JSON.stringify(c)).join(",\n") + "\n]\n");
