// The LangChain4j chat models through AiServices: a plain and a streaming assistant answer what the engine itself
// answers, a chat memory's second turn reuses the cached conversation, and unsupported features are refused.
package io.strata.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.SamplingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StrataChatModelTest {
    static final Path TINY = Path.of(System.getProperty("strata.root", ".."), "models", "tiny-moe");
    static StrataModel model;

    interface Assistant {
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    @BeforeAll
    static void load() {
        model = StrataModel.load(TINY, EngineOptions.builder().backend("cpu").context(256).build());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static String engineReply(List<ChatMessage> msgs, int maxTokens) {
        try (var s = model.newSession()) {
            return s.chat(msgs, maxTokens, SamplingConfig.GREEDY, null).text();
        }
    }

    @Test
    void aiServiceAnswersAsTheEngine() {
        Assistant a = AiServices.builder(Assistant.class).chatModel(StrataChatModel.builder().model(model).maxTokens(10).build()).build();
        assertEquals(engineReply(List.of(new ChatMessage("user", "Who made the earth?")), 10), a.chat("Who made the earth?"));
    }

    @Test
    void memorysSecondTurnRunsOnlyItsNewTokens() {
        Assistant a = AiServices.builder(Assistant.class).chatModel(StrataChatModel.builder().model(model).maxTokens(8).build())
                .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
        String first = a.chat("Who made the earth?");
        long before = model.stats().promptTokens();
        String second = a.chat("And the sea?");
        long ran = model.stats().promptTokens() - before;
        List<ChatMessage> conv = List.of(new ChatMessage("user", "Who made the earth?"), new ChatMessage("assistant", first),
                new ChatMessage("user", "And the sea?"));
        assertEquals(engineReply(conv, 8), second);
        int whole = model.tokenizer().encode(model.chatTemplate().render(conv, true), false).length;
        assertTrue(ran < whole / 2, ran + " prompt tokens ran of a conversation of " + whole);
    }

    @Test
    void streamingAiServiceStreamsTheEnginesReply() throws Exception {
        StreamingAssistant a = AiServices.builder(StreamingAssistant.class)
                .streamingChatModel(StrataStreamingChatModel.builder().model(model).maxTokens(10).build()).build();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        a.chat("And the LORD said").onPartialResponse(pieces::add).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        String want = engineReply(List.of(new ChatMessage("user", "And the LORD said")), 10);
        assertEquals(want, String.join("", pieces));
        assertEquals(want, r.aiMessage().text());
        assertEquals(10, r.tokenUsage().outputTokenCount());
        assertTrue(pieces.size() > 1, pieces.toString());
    }

    @Test
    void unsupportedFeaturesAreRefused() {
        var chat = StrataChatModel.builder().model(model).build();
        var req = ChatRequest.builder().messages(dev.langchain4j.data.message.UserMessage.from("hi")).stopSequences(List.of("\n")).build();
        assertThrows(UnsupportedFeatureException.class, () -> chat.chat(req));
    }
}
