// Decode speed as the median time between tokens, and CPU time per token: robust to a shared, loaded machine.
package io.strata.bench.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.SamplingConfig;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A throughput over a whole run ({@code strata bench decode}) moves by 2–3× on a machine that other
 * jobs load in bursts. This measures each decode step instead: the time between consecutive tokens,
 * reported as the median (a burst lengthens some steps, not the typical one), plus the process's
 * CPU time per generated token (all threads; waiting does not count). Random prompt ids, greedy,
 * no stop tokens; the first round is a warm-up and is not reported.
 *
 * <p>{@code java … TokenLatencyMain --model DIR|STORE [--tokens 128] [--rounds 4] [--prompt-tokens 16]
 * [--host-budget 4GiB] [--json F]} (threads: {@code -Dstrata.threads})
 */
public final class TokenLatencyMain {
    private TokenLatencyMain() {}

    public static void main(String[] args) throws Exception {
        String model = null, json = null, hostBudget = null;
        int tokens = 128, rounds = 4, promptTokens = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--prompt-tokens" -> promptTokens = Integer.parseInt(args[++i]);
                case "--json" -> json = args[++i];
                case "--host-budget" -> hostBudget = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --model DIR, --tokens N, --rounds N, --prompt-tokens N, --host-budget B, --json F)");
            }
        }
        if (model == null) throw new IllegalArgumentException("--model DIR|STORE is required");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (StrataModel m = StrataModel.load(Path.of(model), (hostBudget == null ? EngineOptions.builder().backend("cpu")
                : EngineOptions.builder().backend("cpu").hostBudget(hostBudget)).build())) {
            SplittableRandom rnd = new SplittableRandom(7);
            List<Double> gaps = new ArrayList<>();   // ms between consecutive tokens, measured rounds
            List<Double> cpuPerToken = new ArrayList<>();
            List<Double> roundTps = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) {
                int[] prompt = new int[promptTokens];
                for (int i = 0; i < promptTokens; i++) prompt[i] = 3 + rnd.nextInt(1000);
                long[] stamps = new long[tokens];
                int[] count = {0};
                long cpu0 = os.getProcessCpuTime();
                m.generateFixed(prompt, tokens, SamplingConfig.GREEDY, t -> {
                    if (count[0] < stamps.length) stamps[count[0]++] = System.nanoTime();
                    return true;
                });
                long cpu1 = os.getProcessCpuTime();
                if (r == 0 || count[0] < 3) continue; // warm-up round
                for (int i = 1; i < count[0]; i++) gaps.add((stamps[i] - stamps[i - 1]) / 1e6);
                // CPU of the whole call over its tokens (prefill included: a small share at 16 prompt tokens)
                cpuPerToken.add((cpu1 - cpu0) / 1e6 / count[0]);
                roundTps.add((count[0] - 1) / ((stamps[count[0] - 1] - stamps[0]) / 1e9));
            }
            double[] g = gaps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model);
            out.put("host_budget", hostBudget);
            out.put("date", Instant.now().toString());
            out.put("machine", Runtime.getRuntime().availableProcessors() + " cpus, shared during the run");
            out.put("threads", io.strata.compression.kernel.Parallel.threads());
            out.put("tokens_per_round", tokens);
            out.put("rounds", rounds);
            out.put("median_ms_per_token", q(g, 0.5));
            out.put("p10_ms_per_token", q(g, 0.1));
            out.put("p90_ms_per_token", q(g, 0.9));
            out.put("tokens_per_s_from_median", 1000 / q(g, 0.5));
            out.put("tokens_per_s_per_round", roundTps);
            out.put("cpu_ms_per_token_per_round", cpuPerToken);
            System.out.printf("%s: median %.3f ms/token (%.1f tokens/s), p10 %.3f, p90 %.3f; per round %s tokens/s; CPU %s ms/token%n",
                    model, q(g, 0.5), 1000 / q(g, 0.5), q(g, 0.1), q(g, 0.9), fmt(roundTps), fmt(cpuPerToken));
            if (json != null) new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(json), out);
        }
    }

    private static double q(double[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
    }

    private static String fmt(List<Double> v) {
        return Arrays.toString(v.stream().mapToDouble(d -> Math.round(d * 10) / 10.0).toArray());
    }
}
