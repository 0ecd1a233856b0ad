// FloE-style inter-expert predictor: per (layer, look-ahead) a small MLP from the router input to the experts.
package io.strata.engine.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * For each MoE layer L and distance d with L+d an MoE layer, an {@link Mlp} hidden → inner (512) → experts maps
 * layer L's router input to a distribution over layer L+d's experts, trained on recorded routes (target 1/k on
 * each routed expert). Scores are the MLP's logits. Saved as JSON
 * ({@code {"format":"strata-learned-predictor","version":1,...}}).
 */
public final class LearnedPredictor implements ExpertPredictor {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final int layers, experts, hidden, maxAhead;
    private final Mlp[][] nets; // [layer][ahead - 1], null where none was trained

    LearnedPredictor(int layers, int experts, int hidden, Mlp[][] nets) {
        this.layers = layers;
        this.experts = experts;
        this.hidden = hidden;
        this.nets = nets;
        int d = 0;
        for (Mlp[] n : nets) d = Math.max(d, n.length);
        this.maxAhead = d;
    }

    /** Options: inner width (FloE: 512) and the optimiser's. */
    public record Options(int inner, Mlp.TrainOptions train) {
        public static Options defaults() {
            return new Options(512, Mlp.TrainOptions.defaults());
        }
    }

    /** The loss of one network before and after training (nats, on its training samples). */
    public record TrainLog(int layer, int ahead, int samples, double lossBefore, double lossAfter) {}

    /**
     * Trains one network per (MoE layer L, d in 1..maxAhead) with L+d an MoE layer, on every token of train.
     * Networks train in parallel (they share nothing).
     *
     * @param log receives one entry per network (may be null)
     */
    public static LearnedPredictor train(RoutingDataset data, List<RoutingDataset.Sequence> train, int maxAhead,
                                         Options o, List<TrainLog> log) {
        int L = data.numLayers(), E = data.numExperts();
        boolean[] moe = data.moeLayer();
        Mlp[][] nets = new Mlp[L][maxAhead];
        record Job(int layer, int ahead) {}
        List<Job> jobs = new ArrayList<>();
        for (int l = 0; l < L; l++) for (int a = 1; a <= maxAhead; a++) if (moe[l] && l + a < L && moe[l + a]) jobs.add(new Job(l, a));
        TrainLog[] logs = new TrainLog[jobs.size()];
        IntStream.range(0, jobs.size()).parallel().forEach(j -> {
            Job job = jobs.get(j);
            List<float[]> xs = new ArrayList<>();
            List<float[]> ys = new ArrayList<>();
            for (RoutingDataset.Sequence s : train) {
                for (int t = 0; t < s.tokens(); t++) {
                    int[] routed = s.experts()[t][job.layer + job.ahead];
                    float[] y = new float[E];
                    for (int e : routed) y[e] += 1f / routed.length;
                    xs.add(s.hidden()[t][job.layer]);
                    ys.add(y);
                }
            }
            float[][] x = xs.toArray(new float[0][]), y = ys.toArray(new float[0][]);
            long seed = o.train().seed() * 1000003L + job.layer * 131L + job.ahead;
            Mlp net = Mlp.init(data.hiddenSize(), o.inner(), E, x, seed);
            double before = net.loss(x, y);
            net.train(x, y, new Mlp.TrainOptions(o.train().epochs(), o.train().batch(), o.train().learningRate(), seed));
            logs[j] = new TrainLog(job.layer, job.ahead, x.length, before, net.loss(x, y));
            nets[job.layer][job.ahead - 1] = net;
        });
        if (log != null) log.addAll(List.of(logs));
        return new LearnedPredictor(L, E, data.hiddenSize(), nets);
    }

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    public int numExperts() {
        return experts;
    }

    /** The largest look-ahead distance it has networks for. */
    public int maxAhead() {
        return maxAhead;
    }

    @Override
    public boolean covers(int layer, int ahead) {
        return ahead >= 1 && layer >= 0 && layer < layers && ahead <= nets[layer].length && nets[layer][ahead - 1] != null;
    }

    @Override
    public float[] scores(int layer, int ahead, float[] x) {
        if (!covers(layer, ahead)) {
            throw new IllegalArgumentException("learned predictor: no network for layer " + layer + " ahead " + ahead
                    + " (trained up to ahead " + maxAhead + " over " + layers + " layers)");
        }
        if (x.length != hidden) {
            throw new IllegalArgumentException("learned predictor layer " + layer + ": expected hidden of " + hidden + ", found " + x.length);
        }
        return nets[layer][ahead - 1].forward(x);
    }

    public void save(Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "strata-learned-predictor").put("version", 1).put("num_layers", layers)
                .put("num_experts", experts).put("hidden", hidden).put("max_ahead", maxAhead);
        ArrayNode arr = root.putArray("nets");
        for (int l = 0; l < layers; l++) {
            for (int a = 1; a <= nets[l].length; a++) {
                Mlp m = nets[l][a - 1];
                if (m == null) continue;
                ObjectNode n = arr.addObject();
                n.put("layer", l).put("ahead", a).put("inner", m.inner);
                put(n, "mean", m.mean);
                put(n, "inv_std", m.invStd);
                put(n, "w1t", m.w1t);
                put(n, "b1", m.b1);
                put(n, "w2", m.w2);
                put(n, "b2", m.b2);
            }
        }
        try {
            JSON.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("writing learned predictor " + file, e);
        }
    }

    public static LearnedPredictor load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("reading learned predictor " + file, e);
        }
        if (!"strata-learned-predictor".equals(root.path("format").asText()) || root.path("version").asInt() != 1) {
            throw new IllegalArgumentException(file + ": expected \"format\":\"strata-learned-predictor\", \"version\":1, found "
                    + root.path("format") + ", " + root.path("version"));
        }
        int layers = root.path("num_layers").asInt(), experts = root.path("num_experts").asInt();
        int hidden = root.path("hidden").asInt(), maxAhead = root.path("max_ahead").asInt();
        Mlp[][] nets = new Mlp[layers][maxAhead];
        for (JsonNode n : root.path("nets")) {
            int l = n.path("layer").asInt(), a = n.path("ahead").asInt();
            if (l < 0 || l >= layers || a < 1 || a > maxAhead) {
                throw new IllegalArgumentException(file + ": net for layer " + l + " ahead " + a + " outside [0, " + layers
                        + ") x [1, " + maxAhead + "]");
            }
            try {
                nets[l][a - 1] = new Mlp(hidden, n.path("inner").asInt(), experts, get(n, "mean"), get(n, "inv_std"),
                        get(n, "w1t"), get(n, "b1"), get(n, "w2"), get(n, "b2"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": net for layer " + l + " ahead " + a + ": " + e.getMessage(), e);
            }
        }
        return new LearnedPredictor(layers, experts, hidden, nets);
    }

    private static void put(ObjectNode n, String field, float[] a) {
        ArrayNode arr = n.putArray(field);
        for (float f : a) arr.add(f);
    }

    private static float[] get(JsonNode n, String field) {
        JsonNode a = n.path(field);
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }
}
