// Jinja2 features that checkpoint chat templates rely on, rendered through ChatTemplate: Python
// string and dict methods, raise_exception, tojson, reversed slices, namespaces, whitespace control,
// and where the template is found.
package io.strata.engine.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplateTest {
    private static final List<ChatMessage> CHAT = List.of(
            new ChatMessage("system", "  sys \n"),
            new ChatMessage("user", "<tool_response>x</tool_response>"),
            new ChatMessage("assistant", "<think>\nr1\n</think>\n\nanswer"));

    private static String render(String template) {
        return ChatTemplate.of(template, "<s>", "</s>").render(CHAT, false);
    }

    @Test
    void pythonStringMethods() {
        assertEquals("True False", render("{{ messages[1].content.startswith('<tool_response>') }} {{ messages[1].content.endswith('x') }}")
                .replace("true", "True").replace("false", "False"));
        assertEquals("[answer]", render("[{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}]"));
        assertEquals("[r1]", render("[{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}]"));
        assertEquals("[sys]", render("[{{ messages[0].content.strip() }}]"));
        assertEquals("[  sys ]", render("[{{ messages[0].content.rstrip('\\n') }}]"));
        assertEquals("SYS|a-b", render("{{ messages[0].content.strip().upper() }}|{{ 'a b'.replace(' ', '-') }}"));
        assertEquals("3", render("{{ 'a  b c'.split() | length }}"));
    }

    @Test
    void reversedSliceAndNamespace() {
        String t = "{% set ns = namespace(found=false, last=messages|length - 1) %}"
                + "{% for m in messages[::-1] %}{% set i = (messages|length - 1) - loop.index0 %}"
                + "{% if not ns.found and m.role == 'user' %}{% set ns.found = true %}{% set ns.last = i %}{% endif %}{% endfor %}"
                + "{{ ns.last }}";
        assertEquals("1", render(t));
    }

    @Test
    void whitespaceControlOnExpressions() {
        assertEquals("ab", render("{%- if true %}\n    {{- 'a' }}\n{%- endif %}\n   {{- 'b' -}}\n  "));
        // trim_blocks and lstrip_blocks, as transformers configures Jinja2.
        assertEquals("x\n", render("  {% if true %}\nx\n  {% endif %}\n"));
    }

    @Test
    void jinja2OperatorPrecedenceAndPrinting() {
        assertEquals("[x]", render("{{ '[' + ' x ' | trim + ']' }}"));
        assertEquals("['a', 'b'] {'k': 1}", render("{{ ['a', 'b'] }} {{ {'k': 1} }}"));
        assertEquals("k", ChatTemplate.of("{% for k in d %}{{ k }}{% endfor %}", "", "")
                .render(List.of(), false, Map.of("d", Map.of("k", 1))));
    }

    @Test
    void dictMethodsItemsAndDates() {
        Map<String, Object> d = new java.util.LinkedHashMap<>();
        d.put("k", 1);
        d.put("j", "x");
        ChatTemplate t = ChatTemplate.of("{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}|{{ d.get('zz', 'def') }}|{{ d.get('k') }}"
                + "|{{ d.get('zz') is none }}|{{ d.keys()|join(',') }}", "", "");
        assertEquals("k=1;j=x;|def|1|true|k,j", t.render(List.of(), false, Map.of("d", d)));
        java.time.LocalDateTime when = java.time.LocalDateTime.of(2025, 3, 7, 14, 5, 9);
        assertEquals("2025-03-07 14:05:09 02PM 066 Mar March Fri Friday 25 %", PythonMethods.strftime(when, "%Y-%m-%d %H:%M:%S %I%p %j %b %B %a %A %y %%"));
        String before = java.time.LocalDate.now().toString();
        String today = ChatTemplate.of("{{ strftime_now('%Y-%m-%d') }}", "", "").render(List.of(), false);
        String after = java.time.LocalDate.now().toString();
        assertTrue(today.equals(before) || today.equals(after), today); // either side of midnight
    }

    @Test
    void bosEosAndGenerationPrompt() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"
                + "{% if add_generation_prompt %}[assistant]{% endif %}", "<s>", "</s>");
        List<ChatMessage> chat = List.of(new ChatMessage("user", "hi"));
        assertEquals("<s>[user]hi</s>[assistant]", t.render(chat, true));
        assertEquals("<s>[user]hi</s>", t.render(chat, false));
    }

    @Test
    void mixtralStyleTemplate() {
        // The shape of Mixtral-8x7B-Instruct's template: subscripts, "!=" between booleans, modulo, raise_exception.
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}{% for message in messages %}"
                + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] | trim + ' [/INST]' }}"
                + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}"
                + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}", "<s>", "</s>");
        List<ChatMessage> chat = List.of(new ChatMessage("user", " Hi "), new ChatMessage("assistant", "Hello"), new ChatMessage("user", "More"));
        assertEquals("<s>[INST] Hi [/INST]Hello</s>[INST] More [/INST]", t.render(chat, true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(new ChatMessage("assistant", "x")), false));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void raiseExceptionFailsTheRender() {
        ChatTemplate t = ChatTemplate.of("{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}ok", "", "");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CHAT, false));
        assertTrue(e.getMessage().contains("Conversation must start with user"), e.getMessage());
        assertEquals("ok", t.render(List.of(new ChatMessage("user", "u")), false));
    }

    @Test
    void tojsonUsesPythonSeparators() {
        ChatTemplate t = ChatTemplate.of("{{ tools | tojson }}|{{ tools[0].items() | length }}", "", "");
        Map<String, Object> tool = new java.util.LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("parameters", Map.of("city", "Zürich \"x\""));
        tool.put("required", List.of("city", 1, true));
        assertEquals("[{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Zürich \\\"x\\\"\"}, \"required\": [\"city\", 1, true]}]|3",
                t.render(List.of(), false, Map.of("tools", List.of(tool))));
    }

    @Test
    void namedTemplatesAndTemplateFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>"}, "eos_token": "</s>",
                 "chat_template": [{"name": "default", "template": "D{{ bos_token }}"}, {"name": "tool_use", "template": "T{{ eos_token }}"}]}""");
        assertEquals("D<s>", ChatTemplate.load(dir).render(List.of(), false));
        assertEquals("T</s>", ChatTemplate.load(dir, "tool_use").render(List.of(), false));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir, "rag"));
        assertTrue(e.getMessage().contains("no template named 'rag'") && e.getMessage().contains("tokenizer_config.json"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|end|>\"}");
        assertThrows(NoSuchFileException.class, () -> ChatTemplate.load(dir));
        Files.writeString(dir.resolve("chat_template.jinja"), "J{{ eos_token }}");
        assertEquals("J<|end|>", ChatTemplate.load(dir).render(List.of(), false));
    }

    @Test
    void translationOnlyTouchesTags() {
        assertEquals("text [::-1] {{ (xs|reverse) }}", ChatTemplate.translate("text [::-1] {{ xs[::-1] }}"));
        assertEquals("{% set ns = namespace(a=(1), b=(xs|length - 1)) %}", ChatTemplate.translate("{% set ns = namespace(a=1, b=xs|length - 1) %}"));
    }
}
