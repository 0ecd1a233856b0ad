// A bounded soak of `strata serve` over loopback: concurrent OpenAI clients against one packed model under small
// budgets with prefetch, some leaving mid-stream; every completed answer equals the engine's own, nothing leaks.
package io.strata.engine.soak;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.generate.SamplingConfig;
import io.strata.server.StrataServer;
import io.strata.tiering.TieredExpertStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * models/tiny-moe is packed and served by {@link StrataServer} on an ephemeral loopback port, with host room for
 * sessions × top-k experts, a fast tier of half that, LFU and lookahead prefetch. Client threads send chat
 * completions (prompts and lengths from a fixed pool, greedy) for {@code -Dstrata.soak.seconds} (default 5); one in
 * five streams and leaves after its first tokens. Checked: every completed answer equals the engine's own reply to
 * the same prompt, every request ends within a bound, no request is left active, the host tier never allocated past
 * its budget, and the server's sessions all work afterwards. Figures go to target/server-soak.json.
 */
class ServerSoakTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final String[] PROMPTS = {"Who made the earth?", "Tell me of the sea", "What is light?", "Where is the garden?",
            "hacker", "And God said", "La vida es", "Once upon a time"};

    @TempDir
    Path tmp;

    @Test
    void clientsOverLoopbackGetTheEnginesAnswersUnderSmallBudgets() throws Exception {
        Path model = Path.of(System.getProperty("strata.root", ".")).resolve("models/tiny-moe");
        if (!Files.isRegularFile(model.resolve("model.safetensors"))) model = Path.of("..").resolve("models/tiny-moe");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe not found");
        int seconds = Integer.getInteger("strata.soak.seconds", 5), clients = 4, sessions = 3, topK = 2;
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", model.toString(), "--out", store.toString(), "--no-progress"));
        long slot;
        try (var ps = io.strata.tiering.store.PackedStore.open(store)) {
            slot = ps.maxExpertBytes();
        }
        long hostBudget = (long) sessions * topK * slot;
        EngineOptions opts = EngineOptions.builder().backend("cpu").context(256).hostBudget(hostBudget).fastBudget(topK * slot)
                .policy("lfu").prefetch("lookahead").prefetchDepth(1).build();
        int[] lengths = {3, 6, 9, 12};
        ObjectNode fig = JSON.createObjectNode();
        try (StrataModel m = ModelLoader.load(store, opts);
             StrataServer server = StrataServer.start(m, StrataServer.Config.of(0, "tiny").withSessions(sessions))) {
            TieredExpertStore tiers = ModelLoader.tieredStore(m);
            assertNotNull(tiers);
            String[] want = new String[PROMPTS.length];
            for (int i = 0; i < PROMPTS.length; i++) {
                try (var s = m.newSession()) {
                    want[i] = s.chat(List.of(new ChatMessage("user", PROMPTS[i])), lengths[i % lengths.length], SamplingConfig.GREEDY, null).text();
                }
            }
            AtomicLong done = new AtomicLong(), left = new AtomicLong(), slowestMs = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    Random rnd = new Random(40 + c);
                    fs.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            int p = rnd.nextInt(PROMPTS.length);
                            long t0 = System.nanoTime();
                            if (rnd.nextInt(5) == 0) {
                                leaveMidStream(server.port(), PROMPTS[p]);
                                left.incrementAndGet();
                            } else {
                                assertEquals(want[p], chat(server.port(), PROMPTS[p], lengths[p % lengths.length]), "prompt " + p);
                                done.incrementAndGet();
                            }
                            slowestMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get(seconds + 120L, TimeUnit.SECONDS);  // a deadlock fails here, with a bound
            } finally {
                pool.shutdownNow();
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (server.activeRequests() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(0, server.activeRequests(), "every request ended, the abandoned ones included");
            assertTrue(tiers.hostAllocatedBytes() <= hostBudget, "host tier " + tiers.hostAllocatedBytes() + " within " + hostBudget);
            assertTrue(done.get() > 0, "completed requests");
            // Every session is back in the pool: as many concurrent requests as sessions, all answered correctly.
            ExecutorService after = Executors.newFixedThreadPool(sessions);
            try {
                List<Future<String>> fs = new ArrayList<>();
                for (int i = 0; i < sessions; i++) fs.add(after.submit(() -> chat(server.port(), PROMPTS[0], lengths[0])));
                for (Future<String> f : fs) assertEquals(want[0], f.get(120, TimeUnit.SECONDS));
            } finally {
                after.shutdownNow();
            }
            fig.put("seconds", seconds).put("clients", clients).put("sessions", sessions).put("completed_requests", done.get())
                    .put("abandoned_streams", left.get()).put("slowest_request_ms", slowestMs.get())
                    .put("host_budget_bytes", hostBudget).put("host_allocated_bytes", tiers.hostAllocatedBytes())
                    .put("generated_tokens", m.stats().generatedTokens()).put("errors", 0);
            fig.set("store", tiers.stats().toJson());
        }
        Path out = Path.of("target", "server-soak.json");
        Files.createDirectories(out.getParent());
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), fig);
        System.out.println("server soak: " + fig.without("store"));
    }

    static String chat(int port, String user, int maxTokens) throws Exception {
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("model", "tiny").put("temperature", 0).put("max_tokens", maxTokens)
                .set("messages", JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", user))));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = JSON.readTree(r.body());
        assertFalse(o.path("choices").path(0).path("finish_reason").isNull(), "complete: " + r.body());
        return o.path("choices").path(0).path("message").path("content").asText();
    }

    /** A streaming request whose client reads its first event and hangs up. */
    static void leaveMidStream(int port, String user) throws Exception {
        String body = "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":40,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":"
                + JSON.writeValueAsString(user) + "}]}";
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(b);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data: {")) break;
        }
    }
}
