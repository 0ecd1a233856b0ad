// Reads routing traces: Strata JSON lines, and the Mixtral "active_experts.txt" format.
package io.strata.tiering.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
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

    /** Reads either format: a file whose first non-blank character is '{' is JSON lines. */
    public static RoutingTrace read(Path file, int mixtralLayers) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            if (first != null && first.strip().startsWith("{")) {
                return readJsonLines(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading trace " + file, e);
        }
        return readMixtral(file, mixtralLayers, 0);
    }

    public static RoutingTrace readJsonLines(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading trace " + file, e);
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(file + ": empty trace, expected a strata-trace header line");
        }
        try {
            JsonNode h = JSON.readTree(lines.getFirst());
            if (!"strata-trace".equals(h.path("format").asText())) {
                throw new IllegalArgumentException(file + ":1: expected header with \"format\":\"strata-trace\", found "
                        + lines.getFirst());
            }
            if (h.path("version").asInt() != 1) {
                throw new IllegalArgumentException(file + ":1: expected version 1, found " + h.path("version"));
            }
            int layers = requireInt(h, "num_layers", file, 1);
            int experts = requireInt(h, "num_experts", file, 1);
            int topK = requireInt(h, "top_k", file, 1);
            List<TraceStep> steps = new ArrayList<>(lines.size());
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                JsonNode ex = n.path("experts");
                if (!ex.isArray()) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected \"experts\" array, found " + line);
                }
                int[] ids = new int[ex.size()];
                for (int j = 0; j < ids.length; j++) {
                    ids[j] = ex.get(j).asInt();
                }
                JsonNode w = n.path("weights");
                float[] ws = new float[w.isArray() ? w.size() : 0];
                for (int j = 0; j < ws.length; j++) {
                    ws[j] = (float) w.get(j).asDouble();
                }
                try {
                    steps.add(new TraceStep(requireInt(n, "token", file, i + 1), requireInt(n, "layer", file, i + 1), ids, ws));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            return RoutingTrace.sorted(h.path("model").asText("unknown"), layers, experts, topK, steps);
        } catch (IOException e) {
            throw new UncheckedIOException("parsing trace " + file, e);
        }
    }

    /**
     * Imports the Mixtral format. {@code numExperts} 0 = infer (largest id + 1); top-k is the most common number
     * of experts per line.
     */
    public static RoutingTrace readMixtral(Path file, int numLayers, int numExperts) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading trace " + file, e);
        }
        List<TraceStep> steps = new ArrayList<>(lines.size());
        Map<Integer, Integer> sizes = new HashMap<>();
        int maxId = -1;
        int n = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",");
            int[] ids = new int[parts.length];
            for (int j = 0; j < parts.length; j++) {
                try {
                    ids[j] = Integer.parseInt(parts[j].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected comma-separated expert ids, found '"
                            + line + "'");
                }
                maxId = Math.max(maxId, ids[j]);
            }
            sizes.merge(ids.length, 1, Integer::sum);
            steps.add(new TraceStep(n / numLayers, n % numLayers, ids, new float[0]));
            n++;
        }
        if (n % numLayers != 0) {
            throw new IllegalArgumentException(file + ": expected a multiple of " + numLayers + " lines (one per layer per token), found "
                    + n + " (last token incomplete)");
        }
        int topK = sizes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(0);
        int experts = numExperts > 0 ? numExperts : maxId + 1;
        String name = file.getFileName().toString().replace(".active_experts.txt", "");
        return new RoutingTrace(name, numLayers, experts, topK, steps);
    }

    private static int requireInt(JsonNode n, String field, Path file, int line) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new IllegalArgumentException(file + ":" + line + ": expected integer field \"" + field + "\", found " + v);
        }
        return v.asInt();
    }
}
