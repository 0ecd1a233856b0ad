// The built-in harmony rendering of gpt-oss: hand-checked renderings (ids checked with the tokenizers library) (the message layout of OpenAI's harmony
// format), its special tokens through the real gpt-oss tokenizer, and the release template's rendering when
// ../shared holds one (skipped visibly otherwise).
package io.strata.engine.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.engine.tokenizer.Tokenizer;
import io.strata.engine.tokenizer.TokenizerFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarmonyFormatTest {
    private static final Map<String, Object> DATE = Map.of("current_date", "2025-08-06");
    private static final String SYSTEM = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
            + "Knowledge cutoff: 2024-06\nCurrent date: 2025-08-06\n\nReasoning: medium\n\n"
            + "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>";

    @Test
    void rendersSystemDeveloperUserAndTheGenerationPrompt() {
        ChatTemplate t = HarmonyFormat.template();
        String r = t.render(List.of(new ChatMessage("system", "Answer in rhymes."), new ChatMessage("user", "What is 2+2?")), true, DATE);
        assertEquals(SYSTEM + "<|start|>developer<|message|># Instructions\n\nAnswer in rhymes.\n\n<|end|>"
                + "<|start|>user<|message|>What is 2+2?<|end|><|start|>assistant", r);
    }

    @Test
    void historyUsesTheFinalChannelAndALastAssistantTurnReturns() {
        ChatTemplate t = HarmonyFormat.template();
        List<ChatMessage> chat = List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Bye"));
        assertEquals(SYSTEM + "<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|end|>"
                + "<|start|>user<|message|>Bye<|end|><|start|>assistant", t.render(chat, true, DATE));
        String ended = t.render(List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!")), false,
                Map.of("current_date", "2025-08-06", "reasoning_effort", "high"));
        assertEquals(SYSTEM.replace("Reasoning: medium", "Reasoning: high")
                + "<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|return|>", ended);
        // without current_date: today's date, as the release template's strftime_now
        assertTrue(t.render(chat, true).contains("Current date: " + java.time.LocalDate.now().toString().substring(0, 4)));
    }

    @Test
    void toolMessagesFailNamingTheMessage() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> HarmonyFormat.template().render(List.of(new ChatMessage("user", "x"), new ChatMessage("tool", "{}")), true, DATE));
        assertTrue(e.getMessage().contains("message 1") && e.getMessage().contains("'tool'"), e.getMessage());
    }

    @Test
    void specialTokensEncodeToTheirIdsWithTheRealTokenizer() throws Exception {
        Path dir = TokenizerFixtures.shared("gpt-oss");
        assumeTrue(Files.isRegularFile(dir.resolve("tokenizer.json")), "no gpt-oss tokenizer at " + dir);
        Tokenizer tok = Tokenizer.load(dir);
        String r = HarmonyFormat.template().render(List.of(new ChatMessage("user", "Hi")), true, DATE);
        int[] ids = tok.encode(r, false);
        // <|start|> system <|message|> ... and the tail: <|start|> user <|message|> Hi <|end|> <|start|> assistant
        assertEquals(200006, ids[0]);
        assertEquals(200008, ids[2]);
        int n = ids.length;
        assertArrayEquals(new int[] {200006, 1428, 200008, 12194, 200007, 200006, 173781}, java.util.Arrays.copyOfRange(ids, n - 7, n));
        assertEquals(r, tok.decode(ids, false));
    }

    @Test
    void matchesTheReleaseTemplateWhenPresent() throws Exception {
        Path dir = TokenizerFixtures.shared("gpt-oss");
        boolean has = Files.isRegularFile(dir.resolve("chat_template.jinja"))
                || (Files.isRegularFile(dir.resolve("tokenizer_config.json")) && Files.readString(dir.resolve("tokenizer_config.json")).contains("\"chat_template\""));
        assumeTrue(has, "no gpt-oss chat template in " + dir + " (its tokenizer_config.json has none): the release template's rendering is not compared");
        ChatTemplate real = ChatTemplate.load(dir);
        for (var chat : List.of(List.of(new ChatMessage("user", "Hi")),
                List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Bye")))) {
            assertEquals(real.render(chat, true, DATE), HarmonyFormat.template().render(chat, true, DATE));
        }
    }
}
