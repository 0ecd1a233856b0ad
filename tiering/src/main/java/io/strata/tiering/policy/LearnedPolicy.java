// FlashMoE-style learned eviction: a small per-layer MLP predicts each expert's next-use distance.
package io.strata.tiering.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Evicts the candidate with the largest predicted next-use distance. The predictor is an {@link Mlp} over
 * {@link #FEATURES} causal inputs — the history features of {@link ExpertHistory} and the classical policies'
 * scores ({@link BaselineScores}) — trained offline on a trace to regress {@code log1p(min(next use - t, horizon))}
 * (tokens), the quantity Belady's optimum evicts by, or to rank the candidates of each eviction context by it
 * ({@link Options#pairwise}). One model is trained over the samples of all layers; per-layer models are optional
 * ({@link Options#perLayer}), and layers with too few samples fall back to the shared one. A model may carry, per
 * cache configuration, the choice made on an inner split of its training tokens
 * ({@link io.strata.tiering.replay.LearnedSelection}): the MLP, or the baseline that beat it there, which this policy
 * then runs instead (the floor).
 */
public final class LearnedPolicy implements EvictionPolicy {
    /**
     * Model inputs: the {@link ExpertHistory} features, then four scores of the classical policies (kept by
     * {@link BaselineScores}): {@value ExpertHistory#FEATURES} = least-stale's expected tokens to the next use,
     * {@code log1p(min(r, 4096)) / 8}; +1, +2, +3 = LRFU's log2 CRF at λ = 1/4, 1/32 and 1/128 per token, / 8
     * (−8 when never used).
     */
    public static final int FEATURES = ExpertHistory.FEATURES + BaselineScores.FEATURES;

    /**
     * Trained weights; saved and loaded as JSON.
     *
     * @param perLayer one model per layer, or null entries where the shared model is used
     * @param choices  what the policy runs as for a cache configuration, chosen on an inner split of the training
     *                 tokens ({@link io.strata.tiering.replay.LearnedSelection}); a configuration not listed (and
     *                 a null list) runs the MLP
     */
    public record Model(int numLayers, int numExperts, int horizon, Mlp shared, List<Mlp> perLayer, List<Choice> choices) {
        public Model(int numLayers, int numExperts, int horizon, Mlp shared, List<Mlp> perLayer) {
            this(numLayers, numExperts, horizon, shared, perLayer, null);
        }

        /** The same weights with {@code c} as the choices. */
        public Model withChoices(List<Choice> c) {
            return new Model(numLayers, numExperts, horizon, shared, perLayer, List.copyOf(c));
        }

        /** What runs for (slots, pinning, global): {@link Choice#MLP} or an online policy spec. */
        public String choiceFor(int slots, String pinning, boolean global) {
            if (choices != null) {
                for (Choice c : choices) {
                    if (c.slots() == slots && c.pinning().equals(pinning) && c.global() == global) {
                        return c.policy();
                    }
                }
            }
            return Choice.MLP;
        }

        public Mlp forLayer(int layer) {
            Mlp m = perLayer == null || layer >= perLayer.size() ? null : perLayer.get(layer);
            return m != null ? m : shared;
        }

        public void save(Path file) {
            try {
                JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
            } catch (IOException e) {
                throw new UncheckedIOException("writing learned policy " + file, e);
            }
        }

        public static Model load(Path file) {
            try {
                Model m = JSON.readValue(file.toFile(), Model.class);
                if (m.shared() == null || m.shared().inputs() != FEATURES) {
                    throw new IllegalArgumentException(file + ": expected a shared model over " + FEATURES
                            + " features, found " + (m.shared() == null ? "none" : m.shared().inputs()));
                }
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("reading learned policy " + file, e);
            }
        }
    }

    /**
     * One inner-split decision: for this cache configuration the learned policy runs {@code policy}, the MLP
     * ({@link #MLP}) or an online policy spec whose inner-split hit rate was higher.
     *
     * @param slots   cache slots per layer
     * @param pinning "served" or "step"
     * @param innerHitRates hit rate of every candidate on the inner validation tokens, by name
     */
    public record Choice(int slots, String pinning, boolean global, String policy,
                         java.util.Map<String, Double> innerHitRates) {
        public static final String MLP = "mlp";
    }

    /**
     * @param horizon         next-use distances are capped at this many tokens
     * @param perLayer        train one model per layer (FlashMoE) in addition to the shared one; off by default:
     *                        on the Mixtral trace (≈390 training tokens, ≈2.3k samples per layer) per-layer models
     *                        overfit and do worse on held-out tokens than one model over all layers' samples
     * @param minLayerSamples below this many samples a layer uses the shared model
     * @param pairwise        train with a pairwise ranking loss instead of regression; off by default: on an inner
     *                        split of the Mixtral trace's training half regression did better (0.608 against 0.603
     *                        at 4 slots), though not on the held-out half
     */
    public record Options(Mlp.Training training, int horizon, boolean perLayer, int minLayerSamples, boolean pairwise) {
        public static Options defaults() {
            return new Options(Mlp.Training.defaults(), 128, false, 400, false);
        }

        public Options withPerLayer(boolean p) {
            return new Options(training, horizon, p, minLayerSamples, pairwise);
        }

        public Options withPairwise(boolean p) {
            return new Options(training, horizon, perLayer, minLayerSamples, p);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String name;
    private final Model model;
    private final ExpertHistory history;
    private final BaselineScores scores;
    private final double[] feat = new double[FEATURES];
    private final EvictionPolicy delegate; // the chosen online policy, or null to run the MLP

    public LearnedPolicy(Model model) {
        this(model, "learned");
    }

    /** @param name what reports call it (e.g. "learned-insample" for a model trained on the replayed tokens too) */
    public LearnedPolicy(Model model, String name) {
        this(model, name, Choice.MLP, true);
    }

    /**
     * The learned policy as chosen for one cache configuration ({@link Model#choiceFor}).
     *
     * @param choice   {@link Choice#MLP} or an online policy spec
     * @param perLayer the cache is partitioned per layer
     */
    public LearnedPolicy(Model model, String name, String choice, boolean perLayer) {
        this.name = name;
        this.model = model;
        this.history = new ExpertHistory(model.numLayers(), model.numExperts());
        this.scores = new BaselineScores();
        this.delegate = choice.equals(Choice.MLP) ? null : Policies.online(choice, perLayer).get();
    }

    /** What this instance runs: {@link Choice#MLP} or the online policy's name. */
    public String running() {
        return delegate == null ? Choice.MLP : delegate.name();
    }

    public Model model() {
        return model;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void onRouting(int layer, int[] experts, float[] weights, long time) {
        if (delegate != null) {
            delegate.onRouting(layer, experts, weights, time);
            return;
        }
        for (int i = 0; i < experts.length; i++) {
            history.observe(layer, experts[i], time, weights.length == 0 ? Float.NaN : weights[i]);
        }
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        if (delegate != null) {
            delegate.onAccess(key, time);
            return;
        }
        history.observe(key.layer(), key.expert(), time, Float.NaN);
        scores.access(key, time);
    }

    @Override
    public void onInsert(ExpertKey key, long time) {
        if (delegate != null) {
            delegate.onInsert(key, time);
        }
    }

    @Override
    public void onEvict(ExpertKey key) {
        if (delegate != null) {
            delegate.onEvict(key);
        }
    }

    /** Predicted log next-use distance of {@code key} at {@code time}. */
    public double predict(ExpertKey key, long time) {
        history.features(key.layer(), key.expert(), time, feat, 0);
        scores.features(key, time, feat, ExpertHistory.FEATURES);
        return model.forLayer(key.layer()).predict(feat, 0);
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        if (delegate != null) {
            return delegate.chooseVictim(candidates, time);
        }
        ExpertKey best = candidates.getFirst();
        double far = Double.NEGATIVE_INFINITY;
        for (ExpertKey k : candidates) {
            // An expert the router chose for this very step (heard through onRouting, not yet served: served
            // pinning) is needed now: it goes last. The MLP never saw such samples (training skips the step's
            // experts), so its prediction for them is an extrapolation.
            double p = history.lastUse(k.layer(), k.expert()) == time ? Double.NEGATIVE_INFINITY : predict(k, time);
            if (p > far) {
                far = p;
                best = k;
            }
        }
        return best;
    }

    /** Training samples of one layer: x (n, FEATURES) and y (n). */
    private static final class Samples {
        double[] x = new double[1024];
        double[] y = new double[128];
        int[] g = new int[128];
        int n;

        void add(double[] f, double t, int group) {
            if (n + 1 > g.length) {
                g = java.util.Arrays.copyOf(g, g.length * 2);
            }
            g[n] = group;
            add(f, t);
        }

        void add(double[] f, double t) {
            if ((n + 1) * f.length > x.length) {
                x = java.util.Arrays.copyOf(x, x.length * 2);
            }
            if (n + 1 > y.length) {
                y = java.util.Arrays.copyOf(y, y.length * 2);
            }
            System.arraycopy(f, 0, x, n * f.length, f.length);
            y[n++] = t;
        }

        double[] xs() {
            return java.util.Arrays.copyOf(x, n * FEATURES);
        }

        double[] ys() {
            return java.util.Arrays.copyOf(y, n);
        }

        int[] groups() {
            return java.util.Arrays.copyOf(g, n);
        }

        Mlp fit(Options opt) {
            return opt.pairwise() ? Mlp.trainPairwise(FEATURES, xs(), ys(), groups(), opt.training())
                    : Mlp.train(FEATURES, xs(), ys(), opt.training());
        }
    }

    /**
     * Trains on the steps of {@code trace} with token < {@code untilToken}. After each (token t, layer l) step,
     * every expert of layer l not used in it is one sample: its features at t, and as target the log of its next
     * use distance, looking only inside the training range (samples whose next use is unknown and could still be
     * below the horizon are left out).
     */
    public static Model train(RoutingTrace trace, int untilToken, Options opt) {
        int layers = trace.numLayers();
        int experts = trace.numExperts();
        // Next-use lookup: for each (layer, expert) the tokens that use it, ascending.
        List<List<Integer>> uses = new ArrayList<>();
        for (int i = 0; i < layers * experts; i++) {
            uses.add(new ArrayList<>());
        }
        List<TraceStep> steps = trace.tokens(0, untilToken);
        for (TraceStep s : steps) {
            for (int e : s.experts()) {
                List<Integer> u = uses.get(s.layer() * experts + e);
                if (u.isEmpty() || u.getLast() != s.token()) {
                    u.add(s.token());
                }
            }
        }
        int[] ptr = new int[layers * experts];
        ExpertHistory h = new ExpertHistory(layers, experts);
        BaselineScores sc = new BaselineScores();
        Samples[] perLayer = new Samples[layers];
        Samples all = new Samples();
        for (int l = 0; l < layers; l++) {
            perLayer[l] = new Samples();
        }
        double[] f = new double[FEATURES];
        boolean[] inStep = new boolean[experts];
        int group = 0;
        for (TraceStep s : steps) {
            int l = s.layer();
            long t = s.token();
            group++;
            java.util.Arrays.fill(inStep, false);
            for (int i = 0; i < s.experts().length; i++) {
                h.observe(l, s.experts()[i], t, s.weight(i));
                sc.access(new ExpertKey(l, s.experts()[i]), t);
                inStep[s.experts()[i]] = true;
            }
            for (int e = 0; e < experts; e++) {
                int k = l * experts + e;
                List<Integer> u = uses.get(k);
                while (ptr[k] < u.size() && u.get(ptr[k]) <= t) {
                    ptr[k]++;
                }
                if (inStep[e]) {
                    continue;
                }
                double target;
                if (ptr[k] < u.size()) {
                    target = Math.log1p(Math.min(u.get(ptr[k]) - t, opt.horizon()));
                } else if (untilToken - t > opt.horizon()) {
                    target = Math.log1p(opt.horizon());
                } else {
                    continue;
                }
                h.features(l, e, t, f, 0);
                sc.features(new ExpertKey(l, e), t, f, ExpertHistory.FEATURES);
                perLayer[l].add(f, target, group);
                all.add(f, target, group);
            }
        }
        Mlp shared = all.fit(opt);
        List<Mlp> models = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            models.add(opt.perLayer() && perLayer[l].n >= opt.minLayerSamples()
                    ? perLayer[l].fit(opt)
                    : null);
        }
        return new Model(layers, experts, opt.horizon(), shared, models);
    }
}
