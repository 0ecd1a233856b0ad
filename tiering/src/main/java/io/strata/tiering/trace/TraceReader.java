// Reads routing traces: Strata JSON lines, and the Mixtral "active_experts.txt" format.
package io.strata.tiering.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two input formats.
 * <ul>
 * <li>Strata JSON lines: a header {@code {"format":"strata-trace","version":1,"model":..,"num_layers":..,
 *     "num_experts":..,"top_k":..}} then one {@code {"token":t,"layer":l,"experts":[..],"weights":[..]}} per
 *     line, experts in rank order. Lines may come in any order; the result is sorted by (token, layer).</li>
 * <li>Mixtral active experts (mixtral-offloading): one line per (token, layer) call, comma-separated sorted ids,
 *     {@code numLayers} lines per token, layer 0..L-1; the first L lines are the prefill (token 0). No rank, no
 *     weights.</li>
 * </ul>
 */
public final class TraceReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TraceReader() {}

    /** Largest expert or layer count a trace header may declare (far above any real model; guards allocations). */
    static final int MAX_COUNT = 1 << 16;

    /**
     * Reads either format: a file whose first non-blank character is '{' is JSON lines; otherwise the Mixtral format
     * with {@code mixtralLayers} lines per token.
     *
     * @throws TraceFormatException naming file, line and expectation when the file is malformed
     */
    public static RoutingTrace read(Path file, int mixtralLayers) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            if (first != null && first.strip().startsWith("{")) {
                return readJsonLines(file);
            }
        } catch (CharacterCodingException e) {
            throw new TraceFormatException(file + ": expected UTF-8 text, found undecodable bytes", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading trace " + file, e);
        }
        return readMixtral(file, mixtralLayers, 0);
    }

    /**
     * Reads a Strata JSON-lines trace. Every step line must carry integer "token" (>= 0) and "layer" (in [0,
     * num_layers)), an "experts" array of distinct integer ids in [0, num_experts) and, optionally, a "weights" array
     * of numbers of the same length, and an integer "pass" (&gt;= 0: the forward pass that routed it, as {@link
     * TraceRecorder#recordPass} numbers them); the tokens are 0..N-1 without gaps.
     */
    public static RoutingTrace readJsonLines(Path file) {
        List<String> lines = readLines(file);
        if (lines.isEmpty() || lines.getFirst().isBlank()) {
            throw new TraceFormatException(file + ":1: empty trace, expected a strata-trace header line");
        }
        JsonNode h = parseLine(file, 1, lines.getFirst());
        if (!"strata-trace".equals(h.path("format").asText())) {
            throw new TraceFormatException(file + ":1: expected header with \"format\":\"strata-trace\", found "
                    + abbreviate(lines.getFirst()));
        }
        if (!h.path("version").isIntegralNumber() || h.path("version").asInt() != 1) {
            throw new TraceFormatException(file + ":1: expected \"version\":1, found " + h.path("version"));
        }
        int layers = requireInt(h, "num_layers", file, 1, 1, MAX_COUNT);
        int experts = requireInt(h, "num_experts", file, 1, 1, MAX_COUNT);
        int topK = requireInt(h, "top_k", file, 1, 1, experts);
        List<TraceStep> steps = new ArrayList<>(Math.min(lines.size(), 1 << 20));
        Map<Long, Integer> lineOf = new HashMap<>(); // (token, layer) -> first line, to name a gap's line
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int no = i + 1;
            JsonNode n = parseLine(file, no, line);
            if (!n.isObject()) {
                throw new TraceFormatException(file + ":" + no + ": expected a JSON object per step, found " + abbreviate(line));
            }
            int token = requireInt(n, "token", file, no, 0, Integer.MAX_VALUE - 1);
            int layer = requireInt(n, "layer", file, no, 0, layers - 1);
            JsonNode ex = n.get("experts");
            if (ex == null || !ex.isArray() || ex.isEmpty()) {
                throw new TraceFormatException(file + ":" + no + ": expected a non-empty \"experts\" array, found "
                        + (ex == null ? "nothing" : abbreviate(ex.toString())));
            }
            if (ex.size() > experts) {
                throw new TraceFormatException(file + ":" + no + ": expected at most " + experts + " experts (num_experts), found "
                        + ex.size());
            }
            int[] ids = new int[ex.size()];
            boolean[] seen = new boolean[experts];
            for (int j = 0; j < ids.length; j++) {
                JsonNode v = ex.get(j);
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= experts) {
                    throw new TraceFormatException(file + ":" + no + ": expected integer expert ids in [0, " + experts
                            + ") in \"experts\", found " + abbreviate(v.toString()) + " at index " + j);
                }
                ids[j] = v.asInt();
                if (seen[ids[j]]) {
                    throw new TraceFormatException(file + ":" + no + ": expected distinct expert ids in \"experts\", found "
                            + ids[j] + " twice in " + abbreviate(ex.toString()));
                }
                seen[ids[j]] = true;
            }
            JsonNode w = n.get("weights");
            float[] ws = new float[0];
            if (w != null && !w.isNull()) {
                if (!w.isArray() || w.size() != ids.length) {
                    throw new TraceFormatException(file + ":" + no + ": expected \"weights\" as an array of " + ids.length
                            + " numbers (one per expert), found " + abbreviate(w.toString()));
                }
                ws = new float[w.size()];
                for (int j = 0; j < ws.length; j++) {
                    if (!w.get(j).isNumber()) {
                        throw new TraceFormatException(file + ":" + no + ": expected numbers in \"weights\", found "
                                + abbreviate(w.get(j).toString()) + " at index " + j);
                    }
                    ws[j] = (float) w.get(j).asDouble();
                }
            }
            int pass = n.has("pass") ? requireInt(n, "pass", file, no, 0, Integer.MAX_VALUE) : -1;
            // A (token, layer) pair may repeat: a chat records each turn from position 0 again.
            lineOf.putIfAbsent(((long) token << 32) | layer, no);
            steps.add(new TraceStep(token, layer, ids, ws, pass));
        }
        RoutingTrace t = RoutingTrace.sorted(h.path("model").asText("unknown"), layers, experts, topK, steps);
        checkNoGaps(file, t.steps(), lineOf);
        return t;
    }

    /** Tokens must run 0, 1, 2, ... without gaps (RoutingTrace's contract); steps are sorted. */
    private static void checkNoGaps(Path file, List<TraceStep> steps, Map<Long, Integer> lineOf) {
        int expect = 0;
        for (TraceStep s : steps) {
            if (s.token() == expect - 1) {
                continue;
            }
            if (s.token() != expect) {
                Integer line = lineOf.get(((long) s.token() << 32) | s.layer());
                throw new TraceFormatException(file + ":" + line + ": expected tokens 0..N-1 without gaps, found token "
                        + s.token() + " after " + (expect == 0 ? "none" : "token " + (expect - 1))
                        + " (missing token " + expect + ")");
            }
            expect++;
        }
    }

    /**
     * Imports the Mixtral format. {@code numExperts} 0 = infer (largest id + 1); top-k is the most common number
     * of experts per line.
     */
    public static RoutingTrace readMixtral(Path file, int numLayers, int numExperts) {
        if (numLayers < 1) {
            throw new TraceFormatException(file + ": not a strata-trace JSON-lines file, and the Mixtral format needs the "
                    + "number of MoE layers (lines per token), found " + numLayers);
        }
        List<String> lines = readLines(file);
        List<TraceStep> steps = new ArrayList<>(Math.min(lines.size(), 1 << 20));
        Map<Integer, Integer> sizes = new HashMap<>();
        int limit = numExperts > 0 ? numExperts : MAX_COUNT;
        int maxId = -1;
        int n = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",", -1);
            int[] ids = new int[parts.length];
            for (int j = 0; j < parts.length; j++) {
                try {
                    ids[j] = Integer.parseInt(parts[j].strip());
                } catch (NumberFormatException e) {
                    throw new TraceFormatException(file + ":" + (i + 1) + ": expected comma-separated expert ids, found '"
                            + abbreviate(line) + "'");
                }
                if (ids[j] < 0 || ids[j] >= limit) {
                    throw new TraceFormatException(file + ":" + (i + 1) + ": expected expert ids in [0, " + limit + "), found "
                            + ids[j]);
                }
                for (int k = 0; k < j; k++) {
                    if (ids[k] == ids[j]) {
                        throw new TraceFormatException(file + ":" + (i + 1) + ": expected distinct expert ids, found " + ids[j]
                                + " twice in '" + abbreviate(line) + "'");
                    }
                }
                maxId = Math.max(maxId, ids[j]);
            }
            sizes.merge(ids.length, 1, Integer::sum);
            steps.add(new TraceStep(n / numLayers, n % numLayers, ids, new float[0]));
            n++;
        }
        if (n % numLayers != 0) {
            throw new TraceFormatException(file + ": expected a multiple of " + numLayers + " lines (one per layer per token), found "
                    + n + " (last token incomplete)");
        }
        int topK = sizes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(0);
        int experts = numExperts > 0 ? numExperts : maxId + 1;
        String name = file.getFileName().toString().replace(".active_experts.txt", "");
        return new RoutingTrace(name, numLayers, experts, topK, steps);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new TraceFormatException(file + ": expected UTF-8 text, found undecodable bytes", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading trace " + file, e);
        }
    }

    private static JsonNode parseLine(Path file, int line, String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw new TraceFormatException(file + ":" + line + ": expected a JSON object, found " + abbreviate(text));
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new TraceFormatException(file + ":" + line + ": expected one JSON object per line, found "
                    + abbreviate(text) + " (" + e.getOriginalMessage() + ")", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    private static int requireInt(JsonNode n, String field, Path file, int line, int min, int max) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw new TraceFormatException(file + ":" + line + ": expected integer field \"" + field + "\" in [" + min + ", "
                    + max + "], found " + (v == null ? "nothing" : abbreviate(v.toString())));
        }
        return v.asInt();
    }
}
