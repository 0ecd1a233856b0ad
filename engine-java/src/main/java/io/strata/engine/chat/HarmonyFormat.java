// The harmony chat format of gpt-oss, for a gpt-oss checkpoint that ships no chat template of its own.
package io.strata.engine.chat;

/**
 * gpt-oss was trained on OpenAI's "harmony" format: every message is {@code <|start|>ROLE<|message|>TEXT<|end|>};
 * the first is a system message with the model identity, knowledge cutoff, current date, reasoning effort and the
 * valid channels; a system (or developer) message of the conversation becomes the developer message's
 * "# Instructions"; assistant turns of the history are their final channel ({@code <|channel|>final}), the last one
 * closed by {@code <|return|>} when the conversation ends with it; the generation prompt is {@code <|start|>assistant}
 * (the model then chooses its channel). Earlier turns' reasoning is not rendered, as harmony drops it.
 *
 * <p>Written here as a small Jinja template run by {@link ChatTemplate}, so it takes the same variables as the
 * release's template: {@code reasoning_effort} (low, medium, high; default medium), {@code model_identity}, and
 * {@code current_date} (YYYY-MM-DD; default today, as strftime_now gives it). Tool definitions and tool messages are
 * not rendered: a conversation with a tool message fails naming it; give the release's chat_template.jinja with
 * {@code --chat-template} for tools.
 */
public final class HarmonyFormat {
    private HarmonyFormat() {}

    /** gpt-oss's special tokens as its tokenizer names them. */
    public static final String BOS = "<|startoftext|>", EOS = "<|return|>";

    static final String SOURCE = """
            {%- set ns = namespace(dev="", first=0) -%}
            {%- if messages and messages[0].role in ["system", "developer"] -%}
                {%- set ns.dev = messages[0].content -%}
                {%- set ns.first = 1 -%}
            {%- endif -%}
            <|start|>system<|message|>{{ model_identity if model_identity is defined else "You are ChatGPT, a large language model trained by OpenAI." }}
            Knowledge cutoff: 2024-06
            Current date: {{ current_date if current_date is defined else strftime_now("%Y-%m-%d") }}

            Reasoning: {{ reasoning_effort if reasoning_effort is defined else "medium" }}

            # Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>
            {%- if ns.dev -%}
                <|start|>developer<|message|># Instructions

            {{ ns.dev }}

            <|end|>
            {%- endif -%}
            {%- for m in messages -%}
                {%- if loop.index0 >= ns.first -%}
                    {%- if m.role == "user" -%}
                        <|start|>user<|message|>{{ m.content }}<|end|>
                    {%- elif m.role == "assistant" -%}
                        <|start|>assistant<|channel|>final<|message|>{{ m.content }}{{ "<|return|>" if loop.last and not add_generation_prompt else "<|end|>" }}
                    {%- else -%}
                        {{ raise_exception("harmony: message " ~ loop.index0 ~ " has role '" ~ m.role ~ "'; only a first system/developer message, user and assistant are rendered (tools need the release's chat_template.jinja)") }}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}""";

    /** The harmony format as a chat template. */
    public static ChatTemplate template() {
        return ChatTemplate.of(SOURCE, BOS, EOS);
    }
}
