// Golden test of chat templates: Qwen3's template rendered by our Jinjava setup must equal, byte for
// byte, what @huggingface/jinja rendered (tools/chat-golden/render.mjs made the fixture).
package io.strata.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChatTemplateGoldenTest {

    static Path qwen3() throws URISyntaxException {
        return Path.of(ChatTemplateGoldenTest.class.getClassLoader().getResource("chat/qwen3").toURI());
    }

    @TestFactory
    Stream<DynamicTest> qwen3MatchesHuggingFaceJinja() throws Exception {
        ChatTemplate template = ChatTemplate.load(qwen3());
        JsonNode cases = new ObjectMapper().readTree(qwen3().resolve("chat-golden.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            List<ChatMessage> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = new ObjectMapper().convertValue(c.get("variables"), Map.class);
            boolean addGenerationPrompt = c.get("add_generation_prompt").asBoolean();
            String expected = c.get("rendered").asText();
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () ->
                    assertEquals(expected, template.render(messages, addGenerationPrompt, variables))));
        }
        return tests.stream();
    }

    @Test
    void qwen3WithoutExtraVariables() throws Exception {
        ChatTemplate template = ChatTemplate.load(qwen3().resolve("tokenizer_config.json"));
        String out = template.render(List.of(new ChatMessage("user", "Hi")), true);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", out);
    }
}
