// Renders the chat template of a tokenizer_config.json for each conversation in conversations.json
// with @huggingface/jinja (the Jinja engine of transformers.js, which itself provides raise_exception)
// and prints the golden fixture:
//   node render.mjs TOKENIZER_CONFIG_JSON > qwen3-chat-golden.json
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

const configPath = process.argv[2];
if (!configPath) {
  console.error("usage: node render.mjs TOKENIZER_CONFIG_JSON");
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, "utf8"));
let source = config.chat_template;
if (Array.isArray(source)) {
  source = (source.find((t) => t.name === "default") ?? source[0]).template;
}
const tokenName = (t) => (t && typeof t === "object" ? t.content : t) ?? "";
const template = new Template(source);
const conversations = JSON.parse(readFileSync(new URL("./conversations.json", import.meta.url), "utf8"));
const cases = conversations.map((c) => ({
  ...c,
  rendered: template.render({
    messages: c.messages,
    add_generation_prompt: c.add_generation_prompt,
    bos_token: tokenName(config.bos_token),
    eos_token: tokenName(config.eos_token),
    ...c.variables,
  }),
}));
process.stdout.write(JSON.stringify(cases, null, 2) + "\n");
