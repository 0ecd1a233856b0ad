// Continuous batching, measured: aggregate decode tokens/s and store traffic per token at 1, 2, 4, 8 concurrent sessions.
package io.strata.bench.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.Session;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.SamplingConfig;
import io.strata.tiering.stats.StoreStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * For each session count N: one model (a checkpoint folder or a packed store, under the given budgets) is loaded, N
 * threads each open a session, prefill their own random token-id prompt, wait at a barrier, then decode T tokens
 * greedily at once. Reported per N: aggregate decode tokens/s (N·T over the wall time from the barrier to the last
 * token), SSD bytes read and host→fast bytes copied per decoded token (store statistics over the decode), and the
 * mean batch (decode steps per forward pass). Batching itself is on unless {@code -Dstrata.batching=false}.
 *
 * <pre>java -cp ... io.strata.bench.engine.BatchingBench --model M [--host-budget 3.2GB] [--sessions 1,2,4,8]
 *      [--tokens 16] [--prompt 8] --json F</pre>
 */
public final class BatchingBench {
    private BatchingBench() {}

    public static void main(String[] args) throws Exception {
        Path model = null, json = null;
        String hostBudget = null;
        int tokens = 16, promptLen = 8;
        List<Integer> counts = List.of(1, 2, 4, 8);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--host-budget" -> hostBudget = args[++i];
                case "--sessions" -> counts = java.util.Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--prompt" -> promptLen = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--model M [--host-budget B] [--sessions 1,2,4,8] [--tokens T] [--prompt P] --json F)");
            }
        }
        if (model == null || json == null) throw new IllegalArgumentException("--model and --json are required");
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode().put("model", model.toString()).put("host_budget", hostBudget)
                .put("decode_tokens_per_session", tokens).put("prompt_tokens", promptLen)
                .put("batching", !"false".equals(System.getProperty("strata.batching")))
                .put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch"));
        ArrayNode rows = out.putArray("runs");
        for (int n : counts) {
            EngineOptions.Builder b = EngineOptions.builder().backend("cpu").context(promptLen + tokens + 8);
            if (hostBudget != null) b.hostBudget(hostBudget);
            try (StrataModel m = StrataModel.load(model, b.build())) {
                int vocab = m.config().vocabSize();
                Random rnd = new Random(7);
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int[] p = new int[promptLen];
                    for (int j = 0; j < p.length; j++) p[j] = 3 + rnd.nextInt(Math.max(1, Math.min(vocab, 30_000) - 3));
                    prompts.add(p);
                }
                CyclicBarrier ready = new CyclicBarrier(n + 1), go = new CyclicBarrier(n + 1);
                ExecutorService pool = Executors.newFixedThreadPool(n);
                List<Future<Integer>> fs = new ArrayList<>();
                final int t = tokens;
                for (int i = 0; i < n; i++) {
                    int[] p = prompts.get(i);
                    fs.add(pool.submit(() -> {
                        try (Session s = m.newSession()) {
                            // Prefill alone (one token generated), then decode together from the barrier on.
                            int[] first = s.generate(p, 1, new int[0], SamplingConfig.GREEDY, null).tokens();
                            int[] seq = java.util.Arrays.copyOf(p, p.length + 1);
                            seq[p.length] = first[0];
                            ready.await();
                            go.await();
                            return s.generate(seq, t, new int[0], SamplingConfig.GREEDY, null).tokens().length;
                        }
                    }));
                }
                ready.await();
                StoreStats s0 = m.model().store().stats();
                long[] b0 = m.decodeBatches();
                long t0 = System.nanoTime();
                go.await();
                int decoded = 0;
                for (Future<Integer> f : fs) decoded += f.get();
                long ns = System.nanoTime() - t0;
                pool.shutdown();
                StoreStats d = m.model().store().stats().minus(s0);
                long[] b1 = m.decodeBatches();
                double tps = decoded / (ns / 1e9);
                long passes = b1[0] - b0[0], steps = b1[1] - b0[1];
                rows.addObject().put("sessions", n).put("decoded_tokens", decoded).put("seconds", ns / 1e9)
                        .put("aggregate_tokens_per_s", tps).put("ssd_bytes_per_token", (double) d.ssdBytesRead() / decoded)
                        .put("host_to_fast_bytes_per_token", (double) d.promotedBytes() / decoded)
                        .put("expert_acquires_per_token", (double) d.acquires() / decoded)
                        .put("mean_batch", passes == 0 ? 0 : (double) steps / passes);
                System.out.printf("%d sessions: %.2f tokens/s aggregate, %.1f MB SSD and %.0f expert acquires per token, mean batch %.2f%n",
                        n, tps, d.ssdBytesRead() / 1e6 / decoded, (double) d.acquires() / decoded, passes == 0 ? 0 : (double) steps / passes);
            }
        }
        om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        System.out.println("wrote " + json);
    }
}
