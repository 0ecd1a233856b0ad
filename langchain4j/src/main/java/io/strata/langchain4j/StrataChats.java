// What the LangChain4j chat models share: the model, a pool of sessions for prefix reuse, the request's messages
// and parameters turned into the engine's, and the engine's reply turned into a LangChain4j response.
package io.strata.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.strata.engine.api.Session;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.SamplingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;

/** Shared by {@link StrataChatModel} and {@link StrataStreamingChatModel}; thread-safe. */
final class StrataChats {
    final StrataModel model;
    final String modelName;
    final ChatRequestParameters defaults;
    final long seed;
    /**
     * Idle sessions. A conversation sent again with one more turn (what a chat memory does) usually lands on the
     * session that ran its previous turn, which then runs only the new tokens.
     */
    private final ConcurrentLinkedDeque<Session> idle = new ConcurrentLinkedDeque<>();

    StrataChats(StrataModel model, String modelName, Double temperature, Double topP, Integer topK, Integer maxTokens, long seed) {
        if (model == null) throw new IllegalArgumentException("model: a loaded StrataModel is required");
        this.model = model;
        this.modelName = modelName != null ? modelName : model.dir().getFileName().toString();
        this.seed = seed;
        this.defaults = DefaultChatRequestParameters.builder().modelName(this.modelName)
                .temperature(temperature != null ? temperature : 0.0).topP(topP != null ? topP : 1.0).topK(topK != null ? topK : 0)
                .maxOutputTokens(maxTokens != null ? maxTokens : 256).build();
    }

    /** Runs a request in a pooled session, streaming text pieces to onText (may be null). */
    ChatResponse chat(ChatRequest request, Consumer<String> onText) {
        ChatRequestParameters p = request.parameters() == null ? defaults : defaults.overrideWith(request.parameters());
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported by Strata chat models");
        }
        ResponseFormat rf = p.responseFormat();
        if (rf != null && rf.type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("JSON response format is not supported by Strata chat models");
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            throw new UnsupportedFeatureException("stop sequences are not supported; the model stops at its end-of-turn token");
        }
        List<ChatMessage> msgs = messages(request.messages());
        SamplingConfig sampling = new SamplingConfig(p.temperature() != null ? p.temperature().floatValue() : 0f,
                p.topK() != null ? p.topK() : 0, p.topP() != null ? p.topP().floatValue() : 1f, seed);
        int maxTokens = p.maxOutputTokens() != null ? p.maxOutputTokens() : Integer.MAX_VALUE;
        Session s = idle.pollLast();
        if (s == null) s = model.newSession();
        try {
            Session.ChatReply r = s.chat(msgs, maxTokens, sampling, onText);
            int in = r.result().promptTokens(), out = r.result().tokens().length;
            return ChatResponse.builder().aiMessage(AiMessage.from(r.text())).modelName(modelName)
                    .tokenUsage(new TokenUsage(in, out, in + out))
                    .finishReason(r.result().stoppedBy().equals("stop-token") ? FinishReason.STOP : FinishReason.LENGTH).build();
        } finally {
            idle.addLast(s);
        }
    }

    static List<ChatMessage> messages(List<dev.langchain4j.data.message.ChatMessage> in) {
        List<ChatMessage> out = new ArrayList<>(in.size());
        for (dev.langchain4j.data.message.ChatMessage m : in) {
            switch (m) {
                case SystemMessage s -> out.add(new ChatMessage("system", s.text()));
                case UserMessage u -> {
                    StringBuilder sb = new StringBuilder();
                    for (Content c : u.contents()) {
                        if (!(c instanceof TextContent t)) throw new UnsupportedFeatureException("only text content is supported, found " + c.type());
                        sb.append(t.text());
                    }
                    out.add(new ChatMessage("user", sb.toString()));
                }
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) throw new UnsupportedFeatureException("tool calls are not supported by Strata chat models");
                    out.add(new ChatMessage("assistant", a.text() == null ? "" : a.text()));
                }
                default -> throw new UnsupportedFeatureException(m.type() + " messages are not supported by Strata chat models");
            }
        }
        return out;
    }
}
