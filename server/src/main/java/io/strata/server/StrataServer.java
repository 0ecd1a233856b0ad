// An OpenAI-compatible HTTP server over one loaded model: chat and text completions (SSE streaming or not),
// the model list, health and Prometheus metrics, on the loopback interface only.
package io.strata.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.strata.engine.api.EngineStats;
import io.strata.engine.api.Session;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.chat.ChatTemplateException;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.tokenizer.StreamDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Serves {@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/models}, {@code /health} and
 * {@code /metrics} for one {@link StrataModel}. Requests run on virtual threads; each takes a {@link Session} from a
 * fixed pool (its KV cache reused for the longest common prefix with what that session last held) and returns it
 * when done, when it fails, or when the client disconnects mid-stream. Errors are OpenAI-style JSON bodies with a
 * 4xx status; nothing a client sends stops the server.
 *
 * <p>Thread-safe; {@link #close()} stops accepting requests and waits briefly for running ones.
 */
public final class StrataServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How the server listens and what it accepts.
     *
     * @param port         TCP port on 127.0.0.1 (0 = any free port)
     * @param apiKey       bearer token every /v1 request must carry, or null for none
     * @param modelName    the id clients name the model by
     * @param sessions     concurrent generations (sessions in the pool); further requests queue
     * @param maxBodyBytes request bodies above this are refused with 413 before being read
     * @param queueTimeoutMillis how long a request waits for a free session before a 503
     */
    public record Config(int port, String apiKey, String modelName, int sessions, long maxBodyBytes, long queueTimeoutMillis) {
        public Config {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port: expected 0..65535, found " + port);
            if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("model name: expected a non-empty id");
            if (sessions < 1) throw new IllegalArgumentException("sessions: expected ≥ 1, found " + sessions);
            if (maxBodyBytes < 1024) throw new IllegalArgumentException("max body: expected ≥ 1024 bytes, found " + maxBodyBytes);
            if (apiKey != null && apiKey.isEmpty()) apiKey = null;
        }

        /** Defaults: the port given, no key, 4 sessions, 1 MiB bodies, 60 s queueing. */
        public static Config of(int port, String modelName) {
            return new Config(port, null, modelName, 4, 1 << 20, 60_000);
        }

        public Config withApiKey(String key) {
            return new Config(port, key, modelName, sessions, maxBodyBytes, queueTimeoutMillis);
        }

        public Config withSessions(int n) {
            return new Config(port, apiKey, modelName, n, maxBodyBytes, queueTimeoutMillis);
        }

        public Config withMaxBodyBytes(long n) {
            return new Config(port, apiKey, modelName, sessions, n, queueTimeoutMillis);
        }
    }

    private final StrataModel model;
    private final Config config;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final BlockingQueue<Session> pool;
    private final long created = System.currentTimeMillis() / 1000;
    // Metrics of the HTTP side (the engine's come from model.stats()).
    private final AtomicLong requests = new AtomicLong(), clientErrors = new AtomicLong(), serverErrors = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicInteger waiting = new AtomicInteger(), active = new AtomicInteger();

    private StrataServer(StrataModel model, Config config) throws IOException {
        this.model = model;
        this.config = config;
        this.pool = new ArrayBlockingQueue<>(config.sessions());
        for (int i = 0; i < config.sessions(); i++) pool.add(model.newSession());
        // Loopback only: the server has no TLS and no rate limits; exposing it is a reverse proxy's job.
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port()), 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * Starts serving model.
     *
     * @param model  a loaded model (not closed by the server)
     * @param config where and how to listen
     * @return the running server
     * @throws IOException the port cannot be bound
     */
    public static StrataServer start(StrataModel model, Config config) throws IOException {
        StrataServer s = new StrataServer(model, config);
        s.http.start();
        return s;
    }

    /** @return the bound port */
    public int port() {
        return http.getAddress().getPort();
    }

    /** @return the base URL, e.g. http://127.0.0.1:8080/v1 */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** @return generations running now */
    public int activeRequests() {
        return active.get();
    }

    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Session s : pool) s.close();
    }

    // ---- request handling ----

    /** A failure answered with an OpenAI-style error body. */
    static final class ApiError extends RuntimeException {
        final int status;
        final String type, code, param;

        ApiError(int status, String type, String code, String param, String message) {
            super(message);
            this.status = status;
            this.type = type;
            this.code = code;
            this.param = param;
        }

        static ApiError invalid(String param, String code, String message) {
            return new ApiError(400, "invalid_request_error", code, param, message);
        }
    }

    /** The client went away while a response was streaming. */
    static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super(cause);
        }
    }

    private void handle(HttpExchange ex) {
        requests.incrementAndGet();
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                if (e.status >= 500) serverErrors.incrementAndGet();
                else clientErrors.incrementAndGet();
                sendError(ex, e);
            } catch (ClientGone e) {
                disconnects.incrementAndGet();
            } catch (RuntimeException e) {
                serverErrors.incrementAndGet();
                sendError(ex, new ApiError(500, "server_error", null, null, "internal error: " + e));
            }
        } catch (IOException e) {
            disconnects.incrementAndGet(); // the client closed before the answer was written
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        switch (path) {
            case "/health" -> {
                requireMethod(method, "GET");
                sendJson(ex, 200, JSON.createObjectNode().put("status", "ok"));
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                byte[] body = metrics().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                authorize(ex);
                ObjectNode o = JSON.createObjectNode().put("object", "list");
                o.putArray("data").add(modelObject());
                sendJson(ex, 200, o);
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                authorize(ex);
                chatCompletions(ex, readJson(ex));
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST");
                authorize(ex);
                completions(ex, readJson(ex));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(method, "GET");
                    authorize(ex);
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(config.modelName())) throw unknownModel(id);
                    sendJson(ex, 200, modelObject());
                } else {
                    throw new ApiError(404, "invalid_request_error", "unknown_url", null, "unknown path " + path
                            + " (served: /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics)");
                }
            }
        }
    }

    private ObjectNode modelObject() {
        return JSON.createObjectNode().put("id", config.modelName()).put("object", "model").put("created", created)
                .put("owned_by", "strata");
    }

    private static void requireMethod(String method, String want) {
        if (!method.equals(want)) throw new ApiError(405, "invalid_request_error", "method_not_allowed", null, method + " not allowed; use " + want);
    }

    private void authorize(HttpExchange ex) {
        if (config.apiKey() == null) return;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
        // Constant-time comparison: the key is not revealed by response timing.
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", "invalid_api_key", null,
                    h == null ? "missing API key: send Authorization: Bearer KEY" : "incorrect API key");
        }
    }

    /** Reads the body as JSON, refusing one longer than the limit before reading it (by its Content-Length) or while reading it. */
    private JsonNode readJson(HttpExchange ex) throws IOException {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        long limit = config.maxBodyBytes();
        if (len != null) {
            long n;
            try {
                n = Long.parseLong(len.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "invalid_content_length", "Content-Length '" + len + "' is not a number");
            }
            if (n > limit) throw tooLarge(n);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        InputStream in = ex.getRequestBody();
        for (int r; (r = in.read(chunk)) > 0; ) {
            buf.write(chunk, 0, r);
            if (buf.size() > limit) throw tooLarge(-1);
        }
        try {
            JsonNode n = JSON.readTree(buf.toByteArray());
            if (n == null || !n.isObject()) throw ApiError.invalid(null, "invalid_json", "request body: expected a JSON object");
            return n;
        } catch (JacksonException e) {
            throw ApiError.invalid(null, "invalid_json", "request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private ApiError tooLarge(long n) {
        // The connection is closed after this answer, so the unread rest of the body is never read.
        return new ApiError(413, "invalid_request_error", "request_too_large", null, "request body of "
                + (n >= 0 ? n + " bytes" : "more bytes") + " exceeds the limit of " + config.maxBodyBytes() + " bytes");
    }

    private ApiError unknownModel(String name) {
        return new ApiError(404, "invalid_request_error", "model_not_found", "model",
                "the model '" + name + "' does not exist; this server serves '" + config.modelName() + "'");
    }

    /** The request's sampling, token limit and streaming flags, checked. */
    record Params(SamplingConfig sampling, int maxTokens, boolean stream, boolean includeUsage) {}

    private Params params(JsonNode req, int promptTokens) {
        JsonNode m = req.get("model");
        if (m == null || !m.isTextual()) throw ApiError.invalid("model", "missing_model", "'model' is required (this server serves '" + config.modelName() + "')");
        if (!m.asText().equals(config.modelName())) throw unknownModel(m.asText());
        int room = model.context() - promptTokens;
        if (room < 1) {
            throw ApiError.invalid("messages", "context_length_exceeded", "the prompt is " + promptTokens
                    + " tokens; this model's context holds " + model.context() + " (at least one must stay free for the reply)");
        }
        JsonNode mt = req.hasNonNull("max_completion_tokens") ? req.get("max_completion_tokens") : req.get("max_tokens");
        int maxTokens = room;
        if (mt != null && !mt.isNull()) {
            if (!mt.canConvertToInt() || !mt.isIntegralNumber() || mt.asInt() < 1) {
                throw ApiError.invalid("max_tokens", "invalid_max_tokens", "max_tokens: expected an integer ≥ 1, found " + mt);
            }
            if (mt.asInt() > room) {
                throw ApiError.invalid("max_tokens", "context_length_exceeded", "max_tokens " + mt.asInt() + " exceeds the "
                        + room + " positions left in the context of " + model.context() + " after a prompt of " + promptTokens + " tokens");
            }
            maxTokens = mt.asInt();
        }
        float temperature = (float) number(req, "temperature", 1.0, 0, 2);
        float topP = (float) number(req, "top_p", 1.0, Double.MIN_VALUE, 1);
        long seed = req.hasNonNull("seed") ? req.get("seed").asLong() : System.nanoTime();
        int n = req.hasNonNull("n") ? req.get("n").asInt(1) : 1;
        if (n != 1) throw ApiError.invalid("n", "unsupported_value", "n: only 1 choice per request is served, found " + n);
        JsonNode stop = req.get("stop");
        if (stop != null && !stop.isNull() && !(stop.isArray() && stop.isEmpty())) {
            throw ApiError.invalid("stop", "unsupported_parameter", "stop sequences are not supported; the model stops at its end-of-turn token");
        }
        boolean stream = req.path("stream").asBoolean(false);
        boolean usage = req.path("stream_options").path("include_usage").asBoolean(false);
        return new Params(new SamplingConfig(temperature, 0, topP, seed), maxTokens, stream, usage);
    }

    private static double number(JsonNode req, String field, double dflt, double lo, double hi) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber() || v.asDouble() < lo || v.asDouble() > hi) {
            throw ApiError.invalid(field, "invalid_value", field + ": expected a number in [" + (lo == Double.MIN_VALUE ? "0 (exclusive)" : lo) + ", " + hi + "], found " + v);
        }
        return v.asDouble();
    }

    private static List<ChatMessage> messages(JsonNode req) {
        JsonNode ms = req.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw ApiError.invalid("messages", "missing_messages", "'messages': expected a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String role = m.path("role").asText("");
            if (!List.of("system", "developer", "user", "assistant").contains(role)) {
                throw ApiError.invalid("messages[" + i + "].role", "invalid_role", "messages[" + i + "].role: expected system, user or assistant, found '" + role + "'");
            }
            JsonNode c = m.get("content");
            String text;
            if (c != null && c.isTextual()) {
                text = c.asText();
            } else if (c != null && c.isArray()) { // content parts: only text is served
                StringBuilder sb = new StringBuilder();
                for (JsonNode p : c) {
                    if (!p.path("type").asText().equals("text")) {
                        throw ApiError.invalid("messages[" + i + "].content", "unsupported_content", "only text content parts are served, found '" + p.path("type").asText() + "'");
                    }
                    sb.append(p.path("text").asText());
                }
                text = sb.toString();
            } else if (c == null || c.isNull()) {
                text = "";
            } else {
                throw ApiError.invalid("messages[" + i + "].content", "invalid_content", "messages[" + i + "].content: expected a string or text parts");
            }
            out.add(new ChatMessage(role.equals("developer") ? "system" : role, text));
        }
        return out;
    }

    private void chatCompletions(HttpExchange ex, JsonNode req) throws IOException {
        List<ChatMessage> msgs = messages(req);
        String rendered;
        try {
            rendered = model.chatTemplate().render(msgs, true);
        } catch (ChatTemplateException e) {
            throw ApiError.invalid("messages", "template_error", "the chat template refused the messages: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiError(400, "invalid_request_error", "no_chat_template", null, e.getMessage());
        }
        int[] ids = model.tokenizer().encode(rendered, false); // the template writes BOS where the model wants it
        generate(ex, req, ids, false, true);
    }

    private void completions(HttpExchange ex, JsonNode req) throws IOException {
        JsonNode p = req.get("prompt");
        if (p == null || !p.isTextual()) throw ApiError.invalid("prompt", "invalid_prompt", "'prompt': expected a string");
        generate(ex, req, model.encode(p.asText()), true, false);
    }

    /** Runs one generation in a pooled session and answers it, streamed as server-sent events or as one JSON body. */
    private void generate(HttpExchange ex, JsonNode req, int[] ids, boolean primeDecoder, boolean chat) throws IOException {
        Params prm = params(req, ids.length);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        Session session = takeSession();
        active.incrementAndGet();
        try {
            StreamDecoder dec = model.tokenizer().newStreamDecoder(true);
            if (primeDecoder) for (int t : ids) dec.feed(t); // a completion's first piece keeps its leading space
            int[] stops = model.stopTokens();
            StringBuilder text = new StringBuilder();
            SseWriter sse = prm.stream() ? new SseWriter(ex) : null;
            if (sse != null && chat) sse.send(chunk(id, chat, JSON.createObjectNode().put("role", "assistant").put("content", ""), null));
            Consumer<String> emit = piece -> {
                if (piece.isEmpty()) return;
                text.append(piece);
                if (sse != null) sse.send(chunk(id, chat, chat ? JSON.createObjectNode().put("content", piece) : null, piece));
            };
            GenerationResult r = session.generate(ids, prm.maxTokens(), stops, prm.sampling(), t -> {
                for (int s : stops) if (s == t) return true; // the end-of-turn token is not text
                emit.accept(dec.feed(t));
                return true;
            });
            emit.accept(dec.flush());
            String finish = r.stoppedBy().equals("stop-token") ? "stop" : "length";
            ObjectNode usage = JSON.createObjectNode().put("prompt_tokens", ids.length).put("completion_tokens", r.tokens().length)
                    .put("total_tokens", ids.length + r.tokens().length);
            if (sse != null) {
                ObjectNode last = chunk(id, chat, chat ? JSON.createObjectNode() : null, "");
                ((ObjectNode) last.get("choices").get(0)).put("finish_reason", finish);
                sse.send(last);
                if (prm.includeUsage()) {
                    ObjectNode u = chunk(id, chat, null, null);
                    u.putArray("choices");
                    u.set("usage", usage);
                    sse.send(u);
                }
                sse.done();
            } else {
                ObjectNode o = JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
                        .put("created", System.currentTimeMillis() / 1000).put("model", config.modelName());
                ObjectNode choice = o.putArray("choices").addObject().put("index", 0);
                if (chat) choice.putObject("message").put("role", "assistant").put("content", text.toString());
                else choice.put("text", text.toString());
                choice.put("finish_reason", finish);
                o.set("usage", usage);
                sendJson(ex, 200, o);
            }
        } finally {
            active.decrementAndGet();
            pool.add(session); // freed whatever happened: done, failed, or the client went away
        }
    }

    private ObjectNode chunk(String id, boolean chat, ObjectNode delta, String text) {
        ObjectNode o = JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", config.modelName());
        ArrayNode choices = o.putArray("choices");
        if (delta != null || text != null) {
            ObjectNode c = choices.addObject().put("index", 0);
            if (chat) c.set("delta", delta);
            else c.put("text", text);
            c.putNull("finish_reason");
        }
        return o;
    }

    private Session takeSession() {
        waiting.incrementAndGet();
        try {
            Session s = pool.poll(config.queueTimeoutMillis(), TimeUnit.MILLISECONDS);
            if (s == null) {
                throw new ApiError(503, "server_error", "overloaded", null, "all " + config.sessions() + " sessions busy for "
                        + config.queueTimeoutMillis() + " ms; retry later");
            }
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "shutting_down", null, "server is shutting down");
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Writes server-sent events; a failed write means the client left. */
    private static final class SseWriter {
        private final OutputStream out;

        SseWriter(HttpExchange ex) throws IOException {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0); // chunked
            out = ex.getResponseBody();
        }

        void send(JsonNode event) {
            try {
                out.write(("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush(); // each token reaches the client now, and a closed connection shows up at once
            } catch (IOException e) {
                throw new ClientGone(e);
            }
        }

        void done() {
            try {
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new ClientGone(e);
            }
        }
    }

    private static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        // Sent now: closing the exchange first drains what is left of the request body, which for a refused
        // oversized body lasts until the client, having read this answer, hangs up.
        ex.getResponseBody().flush();
    }

    private static void sendError(HttpExchange ex, ApiError e) {
        if (ex.getResponseCode() != -1) return; // headers already sent (a stream that failed midway): nothing to add
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.param != null) err.put("param", e.param);
        else err.putNull("param");
        if (e.code != null) err.put("code", e.code);
        else err.putNull("code");
        try {
            if (e.status == 413) ex.getResponseHeaders().set("Connection", "close");
            sendJson(ex, e.status, o);
        } catch (IOException ignored) {
            // the client is gone; nothing to answer
        }
    }

    // ---- metrics ----

    /** Prometheus text exposition of the engine's and the server's counters. */
    String metrics() {
        EngineStats s = model.stats();
        StringBuilder b = new StringBuilder();
        metric(b, "strata_requests_total", "counter", "HTTP requests received", requests.get());
        metric(b, "strata_requests_client_errors_total", "counter", "requests answered with a 4xx", clientErrors.get());
        metric(b, "strata_requests_server_errors_total", "counter", "requests answered with a 5xx", serverErrors.get());
        metric(b, "strata_client_disconnects_total", "counter", "clients that left before their answer was complete", disconnects.get());
        metric(b, "strata_active_generations", "gauge", "generations running now", active.get());
        metric(b, "strata_queue_length", "gauge", "requests waiting for a free session", waiting.get());
        metric(b, "strata_step_queue_length", "gauge", "sessions waiting for the model's next forward pass", s.queuedSteps());
        metric(b, "strata_prompt_tokens_total", "counter", "prompt tokens run through the model", s.promptTokens());
        metric(b, "strata_generated_tokens_total", "counter", "tokens generated", s.generatedTokens());
        metric(b, "strata_decode_tokens_per_second", "gauge", "generated tokens per second of decode forward passes since start", s.decodeTokensPerSecond());
        metric(b, "strata_prefill_tokens_per_second", "gauge", "prompt tokens per second of prefill forward passes since start", s.prefillTokensPerSecond());
        metric(b, "strata_step_wait_seconds_total", "counter", "time sessions waited for another session's forward pass", s.stepWaitNanos() / 1e9);
        if (!s.tiers().isEmpty()) {
            head(b, "strata_tier_served_total", "counter", "expert acquires served by each tier");
            for (var t : s.tiers()) b.append("strata_tier_served_total{tier=\"").append(t.tier()).append("\"} ").append(t.served()).append('\n');
            head(b, "strata_tier_hit_rate", "gauge", "share of the acquires reaching a tier that it served");
            for (var t : s.tiers()) b.append("strata_tier_hit_rate{tier=\"").append(t.tier()).append("\"} ").append(num(t.hitRate())).append('\n');
            head(b, "strata_tier_stall_seconds_total", "counter", "time acquires were blocked while each tier served them");
            for (var t : s.tiers()) b.append("strata_tier_stall_seconds_total{tier=\"").append(t.tier()).append("\"} ").append(num(t.waitNanos() / 1e9)).append('\n');
            metric(b, "strata_ssd_bytes_read_total", "counter", "bytes read from the store into host slots", s.ssdBytesRead());
            metric(b, "strata_promoted_bytes_total", "counter", "bytes copied host to fast tier", s.promotedBytes());
        }
        return b.toString();
    }

    private static void head(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void metric(StringBuilder b, String name, String type, String help, double v) {
        head(b, name, type, help);
        b.append(name).append(' ').append(num(v)).append('\n');
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }
}
