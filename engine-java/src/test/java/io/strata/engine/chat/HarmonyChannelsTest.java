// The final-channel filter of gpt-oss replies: with stand-in ids, and with the real tokenizer (skipped without ../shared).
package io.strata.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.engine.tokenizer.Tokenizer;
import io.strata.engine.tokenizer.TokenizerFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarmonyChannelsTest {
    @Test
    void onlyFinalChannelTextIsShown() {
        // ids: 1 <|channel|>, 2 <|message|>, 3 <|end|>, 4 <|start|>; 10.. ordinary tokens
        Map<Integer, String> words = Map.of(10, "analysis", 11, "final", 12, "think", 13, "Hi", 14, "!", 15, "assistant", 16, "fin", 17, "al");
        HarmonyChannels h = new HarmonyChannels(1, 2, 3, 4, words::get);
        int[] reply = {1, 10, 2, 12, 12, 3, 4, 15, 1, 16, 17, 2, 13, 14};
        StringBuilder shown = new StringBuilder();
        for (int id : reply) if (h.show(id)) shown.append(words.get(id));
        assertEquals("Hi!", shown.toString()); // a channel name split over two tokens ("fin" "al") is still final
        HarmonyChannels plain = new HarmonyChannels(1, 2, 3, 4, words::get);
        assertEquals(true, plain.show(13)); // no header yet: shown
    }

    @Test
    void realTokenizerReplyKeepsTheAnswer() throws Exception {
        Path dir = TokenizerFixtures.shared("gpt-oss");
        assumeTrue(Files.isRegularFile(dir.resolve("tokenizer.json")), "no gpt-oss tokenizer at " + dir);
        Tokenizer tok = Tokenizer.load(dir);
        int[] ids = tok.encode("<|channel|>analysis<|message|>User says hi. Respond.<|end|><|start|>assistant<|channel|>final<|message|>Hello, how can I help?", false);
        int[] e = new int[4];
        String[] names = {"<|channel|>", "<|message|>", "<|end|>", "<|start|>"};
        for (int i = 0; i < 4; i++) e[i] = tok.encode(names[i], false)[0];
        HarmonyChannels h = new HarmonyChannels(e[0], e[1], e[2], e[3], id -> tok.decode(new int[] {id}, false));
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        for (int id : ids) if (h.show(id)) kept.add(id);
        assertEquals("Hello, how can I help?", tok.decode(kept.stream().mapToInt(Integer::intValue).toArray(), false));
    }
}
