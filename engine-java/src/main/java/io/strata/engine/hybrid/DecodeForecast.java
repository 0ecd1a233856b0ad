// Predicted decode tokens/s of a store under given budgets: a routing trace replayed through the tiers, priced by a calibration.
package io.strata.engine.hybrid;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.Residency;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.Policies;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Replays each forward pass of a trace through a host tier (and, on a GPU, a VRAM tier) under the store's eviction
 * policy, exactly as the store admits: every routed expert enters the host tier; on a GPU, an expert enters VRAM when
 * its path is a copy. A prompt batch (a pass of several tokens, where the trace names passes: see {@link #passes}) fills
 * the tiers with each expert it routes once and is not priced: the forecast is of decode tokens. Where the trace holds
 * several generations, only the last one's are priced; the earlier ones warm the tiers ({@link #measuredFrom}). Each layer of a decode
 * step costs its dense weights streamed at the dense kernel's rate plus the MoE block:
 * <ul>
 * <li>CPU: the experts in host memory computed first, then each SSD miss once read (reads queued at once and priced by
 * {@link Calibration#stepReads}: the loader threads in turn, each read bound by its own latency or its share of the disk) —
 * the loads overlap the compute of the hits and of earlier misses;</li>
 * <li>GPU: the {@link StepPlanner}'s makespan of the copy engine, the device and the CPU.</li>
 * </ul>
 * What it leaves out, and so where a measured run may differ: attention over the KV cache, norms, sampling, kernel
 * launch and synchronisation overheads (small per token on large models, dominant on tiny ones).
 */
public final class DecodeForecast {
    /** One configuration's prediction. */
    public record Result(String name, double tokensPerSecond, double hostHitRate, double fastHitRate, double ssdBytesPerToken,
                         double h2dBytesPerToken, Map<StepPlanner.Path, Double> pathsPerToken) {}

    /** What is being planned: the store's experts and the budgets. */
    public record Setup(int numLayers, int numExperts, long expertBytes, String layout, boolean floe, long denseBytesPerLayer,
                        long headBytes, String denseLayout, int hostSlots, int fastSlots, String policy) {}

    private final Setup s;
    private final Calibration cal;
    private final double baseSeconds;

    /**
     * @param baseSeconds the measured time of one decode token with every expert it routes already in the fast tier
     *                    (a probe run), or NaN: then the dense weights and experts are priced from the calibration,
     *                    and the prediction misses what the rates leave out (attention, launches, sampling)
     */
    public DecodeForecast(Setup setup, Calibration cal, double baseSeconds) {
        this.s = setup;
        this.cal = cal;
        this.baseSeconds = baseSeconds;
    }

    /** Per-token seconds: the probe's base plus what the tiers add, or the modeled whole without a probe. */
    private double perToken(double modeled, double extra, int tokens) {
        return Double.isNaN(baseSeconds) ? modeled / tokens : baseSeconds + extra / tokens;
    }

    /** The CPU backend: every expert computed on the CPU from the host tier. */
    public Result cpu(RoutingTrace t) {
        double dense = Calibration.required(cal.cpuExpertRate(s.denseLayout()), s.denseLayout() + " CPU kernel");
        double expert = Calibration.required(cal.cpuExpertRate(s.layout()), s.layout() + " CPU kernel");
        Calibration.required(cal.ssdRead(), "SSD read");
        Tier host = new Tier(s.hostSlots(), s.policy());
        double time = 0, extra = 0, hits = 0, uses = 0, ssdBytes = 0;
        List<Pass> passes = passes(t);
        int from = measuredFrom(t, passes);
        int n = 0;
        for (int clock = 0; clock < passes.size(); clock++) {
            Pass pass = passes.get(clock);
            if (!pass.decode() || clock < from) { // a prompt batch, or a warm-up: its experts enter the tier; not priced
                for (Routed st : pass.layers()) for (int e : st.experts()) host.access(st.layer(), e, clock);
                continue;
            }
            n++;
            for (Routed st : pass.layers()) {
                double cpu = 0, compute = st.experts().length * (s.expertBytes() / expert);
                int missed = 0;
                for (int e : st.experts()) {
                    uses++;
                    if (host.has(st.layer(), e)) {
                        hits++;
                        cpu += s.expertBytes() / expert;
                    } else missed++;
                }
                long[] reads = new long[missed];
                java.util.Arrays.fill(reads, s.expertBytes());
                for (double done : cal.stepReads(reads)) { // queued at the layer's start, computed as each arrives
                    cpu = Math.max(cpu, done) + s.expertBytes() / expert;
                    ssdBytes += s.expertBytes();
                }
                for (int e : st.experts()) host.access(st.layer(), e, clock);
                time += s.denseBytesPerLayer() / dense + cpu;
                extra += cpu - compute; // the stall: reads the compute could not hide
            }
            time += s.headBytes() / dense;
        }
        n = Math.max(1, n);
        return new Result("cpu", 1 / perToken(time, extra, n), hits / Math.max(1, uses), Double.NaN, ssdBytes / n, 0, Map.of());
    }

    /**
     * A GPU run in {@code mode}; with prefetch {@code depth} d &gt; 0, each layer's misses are copied during the d
     * layers before it as far as the link allows (an oracle predictor d layers ahead: the bound prefetching can reach).
     */
    public Result gpu(RoutingTrace t, StepPlanner.Mode mode, int depth, String name) {
        boolean prefetch = depth > 0;
        double dense = Calibration.required(cal.gpuExpertRate(s.denseLayout()), s.denseLayout() + " GPU kernel");
        StepPlanner planner = new StepPlanner(cal, mode);
        Tier host = new Tier(s.hostSlots(), s.policy()), fast = new Tier(s.fastSlots(), s.policy());
        double time = 0, extra = 0, hostHits = 0, fastHits = 0, uses = 0, ssdBytes = 0, h2dBytes = 0;
        Map<StepPlanner.Path, Double> paths = new LinkedHashMap<>();
        List<Pass> passes = passes(t);
        int from = measuredFrom(t, passes);
        int n = 0;
        for (int tok = 0; tok < passes.size(); tok++) {
            Pass pass = passes.get(tok);
            if (!pass.decode() || tok < from) { // a prompt batch or a warm-up: copied up once each (as copy-only does); not timed
                for (Routed st : pass.layers()) {
                    for (int e : st.experts()) {
                        host.access(st.layer(), e, tok);
                        fast.access(st.layer(), e, tok);
                    }
                }
                continue;
            }
            n++;
            double prevLayer = 0;
            java.util.ArrayDeque<Double> window = new java.util.ArrayDeque<>(); // the last `depth` layers' times
            for (Routed st : pass.layers()) {
                int m = st.experts().length;
                Residency[] where = new Residency[m];
                long[] bytes = new long[m];
                String[] layout = new String[m];
                boolean[] floe = new boolean[m];
                int[] n1 = new int[m];
                double budget = 0; // bytes the link can move during the `depth` layers before this one
                for (double w : window) budget += w * cal.h2d();
                for (int i = 0; i < m; i++) {
                    int e = st.experts()[i];
                    bytes[i] = s.expertBytes();
                    layout[i] = s.layout();
                    floe[i] = s.floe();
                    n1[i] = 1;
                    if (fast.has(st.layer(), e)) where[i] = Residency.FAST;
                    else if (prefetch && host.has(st.layer(), e) && budget >= s.expertBytes()) {
                        budget -= s.expertBytes();
                        where[i] = Residency.FAST_PREFETCHED;
                    } else where[i] = host.has(st.layer(), e) ? Residency.HOST : Residency.SSD;
                }
                StepPlanner.Plan p = planner.plan(where, bytes, layout, floe, n1);
                for (int i = 0; i < m; i++) {
                    int e = st.experts()[i];
                    uses++;
                    if (where[i].tier() == io.strata.tiering.Tier.FAST) fastHits++;
                    if (where[i] != Residency.SSD) hostHits++;
                    else ssdBytes += s.expertBytes();
                    paths.merge(p.paths()[i], 1.0, Double::sum);
                    if (p.paths()[i] == StepPlanner.Path.COPY || p.paths()[i] == StepPlanner.Path.PREFETCHED) {
                        h2dBytes += s.expertBytes();
                        fast.access(st.layer(), e, tok);
                    } else if (where[i].tier() == io.strata.tiering.Tier.FAST) {
                        fast.access(st.layer(), e, tok);
                    }
                    host.access(st.layer(), e, tok);
                }
                prevLayer = s.denseBytesPerLayer() / dense + p.seconds();
                time += prevLayer;
                if (prefetch) {
                    window.addLast(prevLayer);
                    if (window.size() > depth) window.removeFirst();
                }
                double allInVram = 0; // the same experts computed on the device from VRAM: what the probe measured
                for (int i = 0; i < m; i++) allInVram += cal.gpuSeconds(s.expertBytes(), s.layout());
                extra += Math.max(0, p.seconds() - allInVram);
            }
            time += s.headBytes() / dense;
        }
        int tokens = Math.max(1, n);
        paths.replaceAll((k, v) -> v / tokens);
        return new Result(name, 1 / perToken(time, extra, tokens), hostHits / Math.max(1, uses), fastHits / Math.max(1, uses),
                ssdBytes / tokens, h2dBytes / tokens, paths);
    }

    /** The shape of the generation a forecast prices: its prompt's length and its decode steps. */
    public record Shape(int promptTokens, int decodeTokens) {}

    /**
     * The shape of the trace's last generation (the one the forecast prices, {@link #measuredFrom}), or null where the
     * trace does not name its passes. A generation is a prompt pass (the first pass, one of several tokens, or one that
     * starts at or before the previous pass's position) and the decode passes after it.
     */
    public static Shape shape(RoutingTrace t) {
        if (!namesPasses(t)) return null;
        List<Pass> ps = passes(t);
        int from = measuredFrom(t, ps);
        return new Shape(ps.get(from).tokens(), Math.max(1, ps.size() - from - 1));
    }

    /**
     * The first pass that is priced: where the trace names its passes and holds several generations (a benchmark's
     * warm-up and measured runs: `strata bench decode --warmup`), the last generation's prompt; before it, the
     * generations only warm the tiers, as they did in the run, whose tokens/s is the last generation's. Otherwise 0.
     * Pricing the warm-up too put the OLMoE-shaped store's forecast at 11.3 reads a token against the measured
     * generation's 9.9 (bench/results/hybrid.md, "Parked workers, reads after a pause, and the warm-up generation").
     */
    static int measuredFrom(RoutingTrace t, List<Pass> ps) {
        if (!namesPasses(t)) return 0;
        int last = 0;
        for (int i = 1; i < ps.size(); i++) {
            Pass p = ps.get(i);
            if (!p.decode() || p.first() <= ps.get(i - 1).first()) last = i;
        }
        return last;
    }

    /** Whether every step of a (non-empty) trace names its forward pass. */
    private static boolean namesPasses(RoutingTrace t) {
        if (t.steps().isEmpty()) return false;
        for (TraceStep st : t.steps()) if (st.pass() < 0) return false;
        return true;
    }

    /** One MoE layer of a forward pass: the experts it routed, in first-use order (each once). */
    record Routed(int layer, int[] experts) {}

    /**
     * One forward pass: a prompt batch of {@code tokens} tokens from position {@code first}, or a decode step (one
     * token); its layers in order.
     */
    record Pass(int first, int tokens, List<Routed> layers) {
        boolean decode() {
            return tokens == 1;
        }
    }

    /**
     * The trace's forward passes in the order they ran. Where every step names its pass (traces that {@code strata run
     * --trace} and {@code strata bench decode --trace} write), the steps of a pass are its layers, and a prompt batch is
     * one pass whose experts per layer are the union of its tokens' (read once for all of them, as the engine does);
     * only decode passes are priced. Otherwise each position is a decode step, as {@link #byToken} orders them.
     */
    static List<Pass> passes(RoutingTrace t) {
        List<Pass> out = new ArrayList<>();
        if (!namesPasses(t)) {
            for (List<TraceStep> tok : byToken(t)) {
                List<Routed> ls = new ArrayList<>();
                for (TraceStep st : tok) ls.add(new Routed(st.layer(), st.experts()));
                out.add(new Pass(tok.getFirst().token(), 1, ls));
            }
            return out;
        }
        TreeMap<Integer, List<TraceStep>> byPass = new TreeMap<>();
        for (TraceStep st : t.steps()) byPass.computeIfAbsent(st.pass(), k -> new ArrayList<>()).add(st);
        for (List<TraceStep> steps : byPass.values()) {
            // sorted by (token, layer) already: group by layer, tokens in order within each
            TreeMap<Integer, LinkedHashSet<Integer>> layers = new TreeMap<>();
            TreeSet<Integer> positions = new TreeSet<>();
            for (TraceStep st : steps) {
                positions.add(st.token());
                var used = layers.computeIfAbsent(st.layer(), k -> new LinkedHashSet<>());
                for (int e : st.experts()) used.add(e);
            }
            List<Routed> ls = new ArrayList<>();
            layers.forEach((l, used) -> ls.add(new Routed(l, used.stream().mapToInt(Integer::intValue).toArray())));
            out.add(new Pass(positions.first(), positions.size(), ls));
        }
        return out;
    }

    /**
     * The trace's tokens, each its steps in layer order. A position that occurs in several generations of one trace (a
     * benchmark's warm-up and measured runs, a chat's turns: each starts at position 0 again) holds a layer more than
     * once; the k-th occurrence of each layer belongs to the k-th of those tokens, and they are replayed one after
     * another.
     */
    static List<List<TraceStep>> byToken(RoutingTrace t) {
        List<List<TraceStep>> out = new ArrayList<>();
        int cur = Integer.MIN_VALUE;
        List<List<TraceStep>> runs = new ArrayList<>(); // the current position's tokens
        Map<Integer, Integer> seen = new java.util.HashMap<>(); // layer -> occurrences at the current position
        for (TraceStep st : t.steps()) {
            if (st.token() != cur) {
                out.addAll(runs);
                runs = new ArrayList<>();
                seen.clear();
                cur = st.token();
            }
            int k = seen.merge(st.layer(), 1, Integer::sum) - 1;
            while (runs.size() <= k) runs.add(new ArrayList<>());
            runs.get(k).add(st);
        }
        out.addAll(runs);
        return out;
    }

    /** A cache of (layer, expert) under an eviction policy, filled on access as the store fills its tiers. */
    private static final class Tier {
        private final int slots;
        private final EvictionPolicy policy;
        private final Set<ExpertKey> members = new HashSet<>();

        Tier(int slots, String policy) {
            this.slots = slots;
            this.policy = Policies.online(policy, false).get();
        }

        boolean has(int l, int e) {
            return members.contains(new ExpertKey(l, e));
        }

        void access(int l, int e, long time) {
            ExpertKey k = new ExpertKey(l, e);
            policy.onAccess(k, time);
            if (members.contains(k) || slots <= 0) return;
            if (members.size() >= slots) {
                ExpertKey v = policy.chooseVictim(new ArrayList<>(members), time);
                members.remove(v);
                policy.onEvict(v);
            }
            members.add(k);
            policy.onInsert(k, time);
        }
    }
}
