// The server against real clients on loopback: LangChain4j's OpenAI client (chat, streaming chat), plain HTTP for
// completions, models, health and metrics, every refused input with its 4xx and OpenAI-style body, an oversized
// body refused from its headers, a client leaving mid-stream, and a bounded load test.
package io.strata.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.SamplingConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StrataServerTest {
    static final Path TINY = Path.of(System.getProperty("strata.root", ".."), "models", "tiny-moe");
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "test-key";
    static StrataModel model;
    static StrataServer server;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        model = StrataModel.load(TINY, EngineOptions.builder().backend("cpu").context(256).build());
        server = StrataServer.start(model, StrataServer.Config.of(0, "tiny-moe").withApiKey(KEY).withSessions(3).withMaxBodyBytes(64 * 1024));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    /** What the engine itself replies, greedy: the reference every server answer is compared with. */
    static String engineReply(String user, int maxTokens) {
        try (var s = model.newSession()) {
            return s.chat(List.of(new ChatMessage("user", user)), maxTokens, SamplingConfig.GREEDY, null).text();
        }
    }

    @Test
    void langchain4jClientChats() {
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey(KEY).modelName("tiny-moe")
                .temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        ChatResponse r = client.chat(dev.langchain4j.data.message.UserMessage.from("Who made the earth?"));
        assertEquals(engineReply("Who made the earth?", 12), r.aiMessage().text());
        assertEquals(12, r.tokenUsage().outputTokenCount());
        assertEquals(dev.langchain4j.model.output.FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void langchain4jClientStreams() throws Exception {
        OpenAiStreamingChatModel client = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey(KEY).modelName("tiny-moe")
                .temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        StringBuilder pieces = new StringBuilder();
        List<String> parts = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        client.chat("And the LORD said", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
                parts.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        String want = engineReply("And the LORD said", 12);
        assertEquals(want, pieces.toString());
        assertEquals(want, r.aiMessage().text());
        assertTrue(parts.size() > 1, "streamed in pieces: " + parts);
    }

    @Test
    void completionsModelsHealthMetrics() throws Exception {
        JsonNode c = JSON.readTree(post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"In the beginning\",\"max_tokens\":6,\"temperature\":0}", KEY).body());
        String want = model.tokenizer().decode(model.generateFixed(model.encode("In the beginning"), 6, SamplingConfig.GREEDY).tokens(), true);
        assertEquals(want, c.path("choices").path(0).path("text").asText());
        assertEquals(6, c.path("usage").path("completion_tokens").asInt());
        JsonNode models = JSON.readTree(get("/v1/models", KEY).body());
        assertEquals("tiny-moe", models.path("data").path(0).path("id").asText());
        assertEquals(200, get("/health", null).statusCode());
        String metrics = get("/metrics", null).body();
        assertTrue(metrics.contains("# TYPE strata_generated_tokens_total counter"), metrics);
        assertTrue(metrics.matches("(?s).*\\nstrata_generated_tokens_total [1-9][0-9]*\\n.*"), metrics);
        assertTrue(metrics.contains("strata_queue_length 0"), metrics);
    }

    @Test
    void badRequestsGetOpenAiErrors() throws Exception {
        assertError(post("/v1/chat/completions", "{\"model\": \"tiny-moe\", \"messages\": [", KEY), 400, "invalid_json");
        assertError(post("/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", KEY), 404, "model_not_found");
        assertError(post("/v1/chat/completions", "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":-5}", KEY), 400, "invalid_max_tokens");
        assertError(post("/v1/chat/completions", "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100000}", KEY), 400, "context_length_exceeded");
        String longText = "word ".repeat(400);
        assertError(post("/v1/chat/completions", "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}", KEY), 400, "context_length_exceeded");
        assertError(post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"hi\"}", "wrong"), 401, "invalid_api_key");
        assertError(post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"hi\"}", null), 401, "invalid_api_key");
        assertError(post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}", KEY), 413, "request_too_large");
        assertError(get("/v1/nothing", KEY), 404, "unknown_url");
        assertEquals(200, get("/health", null).statusCode(), "still serving");
    }

    /** A Content-Length over the limit is refused from the headers alone: the body is never sent. */
    @Test
    void oversizedBodyRefusedBeforeItIsRead() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertTrue(status.contains(" 413 "), status);
        }
    }

    /** A client that leaves mid-stream frees its session: generation stops and the pool is whole again. */
    @Test
    void clientLeavingMidStreamFreesItsSession() throws Exception {
        long before = model.stats().generatedTokens();
        String body = "{\"model\":\"tiny-moe\",\"stream\":true,\"max_tokens\":200,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}]}";
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(b);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            for (String line; (line = in.readLine()) != null && events < 3; ) if (line.startsWith("data: {")) events++;
            assertEquals(3, events);
        } // closed after a few tokens
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (server.activeRequests() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, server.activeRequests(), "the generation ended");
        assertTrue(model.stats().generatedTokens() - before < 200, "stopped early: " + (model.stats().generatedTokens() - before) + " tokens");
        assertTrue(get("/metrics", null).body().matches("(?s).*strata_client_disconnects_total [1-9].*"));
        // Every session is back in the pool: as many concurrent requests as sessions all succeed.
        assertEquals(engineReply("Hi", 3), chatText("Hi", 3));
    }

    /** N clients x M requests each, fixed count: every answer is complete and equal to the engine's own reply. */
    @Test
    void boundedLoad() throws Exception {
        int clients = 4, each = 3, maxTokens = 8;
        String[] prompts = {"Who made the earth?", "Tell me of the sea", "What is light?", "Where is the garden?"};
        String[] want = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) want[i] = engineReply(prompts[i], maxTokens);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int c0 = c;
                fs.add(pool.submit(() -> {
                    int ok = 0;
                    for (int j = 0; j < each; j++) {
                        int p = (c0 + j) % prompts.length;
                        assertEquals(want[p], chatText(prompts[p], maxTokens), "client " + c0 + " request " + j);
                        ok++;
                    }
                    return ok;
                }));
            }
            int total = 0;
            for (Future<Integer> f : fs) total += f.get(300, TimeUnit.SECONDS);
            assertEquals(clients * each, total);
        } finally {
            pool.shutdownNow();
        }
    }

    static String chatText(String user, int maxTokens) throws Exception {
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("model", "tiny-moe").put("temperature", 0).put("max_tokens", maxTokens)
                .set("messages", JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", user))));
        HttpResponse<String> r = post("/v1/chat/completions", body, KEY);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = JSON.readTree(r.body());
        assertFalse(o.path("choices").path(0).path("finish_reason").isNull(), "complete: " + r.body());
        return o.path("choices").path(0).path("message").path("content").asText();
    }

    static HttpResponse<String> post(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertEquals(code, e.path("code").asText(), r.body());
        assertFalse(e.path("message").asText().isEmpty());
        assertTrue(e.has("type") && e.has("param"), r.body());
    }
}
