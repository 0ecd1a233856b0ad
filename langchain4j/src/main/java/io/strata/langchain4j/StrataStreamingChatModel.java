// A LangChain4j StreamingChatModel answered by a Strata model in the same JVM.
package io.strata.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.strata.engine.api.StrataModel;

/**
 * A {@link StreamingChatModel} over a loaded {@link StrataModel}: the conversation is rendered with the model's chat template
 * and generated in a pooled session (a conversation sent again with a new turn runs only the new tokens).
 * Thread-safe; the model stays owned (and closed) by the caller. Tools, JSON mode and stop sequences are refused
 * with {@link dev.langchain4j.exception.UnsupportedFeatureException}.
 *
 * <pre>{@code
 * StreamingChatModel chat = StrataStreamingChatModel.builder().model(strataModel).maxTokens(128).build();
 * chat.chat("Who made the earth?", handler); // onPartialResponse per piece, then onCompleteResponse
 * }</pre>
 */
public final class StrataStreamingChatModel implements StreamingChatModel {
    private final StrataChats chats;

    private StrataStreamingChatModel(StrataChats chats) {
        this.chats = chats;
    }

    /** @return a builder; {@link Builder#model} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates on a virtual thread, handing each decoded piece to the handler as it is produced, then the whole
     * response; a failure (e.g. an unsupported feature, a conversation longer than the context) goes to onError.
     */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Thread.ofVirtual().name("strata-chat").start(() -> {
            ChatResponse r;
            try {
                r = chats.chat(request, handler::onPartialResponse);
            } catch (RuntimeException e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(r);
        });
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return chats.defaults;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** Builds {@link StrataStreamingChatModel}: temperature 0 (greedy), top-p 1, top-k off, 256 tokens, seed 0 by default. */
    public static final class Builder {
        private StrataModel model;
        private String modelName;
        private Double temperature, topP;
        private Integer topK, maxTokens;
        private long seed;

        private Builder() {}

        /** @param m the loaded model. Returns this builder. */
        public Builder model(StrataModel m) {
            this.model = m;
            return this;
        }

        /** @param name the name responses carry (default: the model folder's name). Returns this builder. */
        public Builder modelName(String name) {
            this.modelName = name;
            return this;
        }

        /** @param t sampling temperature, 0 = greedy. Returns this builder. */
        public Builder temperature(Double t) {
            this.temperature = t;
            return this;
        }

        /** @param p nucleus mass in (0, 1]. Returns this builder. */
        public Builder topP(Double p) {
            this.topP = p;
            return this;
        }

        /** @param k keep the k most likely tokens, 0 = all. Returns this builder. */
        public Builder topK(Integer k) {
            this.topK = k;
            return this;
        }

        /** @param n new tokens per reply at most. Returns this builder. */
        public Builder maxTokens(Integer n) {
            this.maxTokens = n;
            return this;
        }

        /** @param s sampler seed (each request starts from it). Returns this builder. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** @return the chat model */
        public StrataStreamingChatModel build() {
            return new StrataStreamingChatModel(new StrataChats(model, modelName, temperature, topP, topK, maxTokens, seed));
        }
    }
}
