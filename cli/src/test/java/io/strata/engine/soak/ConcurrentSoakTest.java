// A bounded soak: threads generating through one packed model under small budgets with prefetch, checked for
// budgets, stalls, leaked slots and outputs identical to single-threaded runs.
package io.strata.engine.soak;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.generate.SamplingConfig;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.stats.StoreStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped tiny model (models/tiny-moe: 6 layers x 8 experts, top-2) is packed, then served through the tiered
 * store with host room for exactly threads x top-k experts (the fewest that cannot deadlock: each generating thread
 * pins at most top-k experts at a time), a fast tier of half that, and lookahead prefetch. Each thread repeatedly takes
 * a random job (a random token-id prompt and length) from a fixed pool and may cancel it after a random number of
 * tokens. Duration: {@code -Dstrata.soak.seconds} (default 5, the CI version); threads: {@code -Dstrata.soak.threads}
 * (default 4). Figures go to target/soak.json.
 */
class ConcurrentSoakTest {
    /** A generation request of the pool: prompt token ids and how many tokens to generate. */
    record Job(int[] prompt, int maxTokens) {}

    /** No single token may take longer than this (a stalled load or a deadlock fails here, not at the suite timeout). */
    static final long STEP_BOUND_MS = 20_000;

    @TempDir
    Path tmp;

    @Test
    void threadsGeneratingUnderSmallBudgetsMatchSingleThreadedRuns() throws Exception {
        Path model = Path.of(System.getProperty("strata.root", ".")).resolve("models/tiny-moe");
        if (!Files.isRegularFile(model.resolve("model.safetensors"))) {
            model = Path.of("..").resolve("models/tiny-moe");
        }
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe not found");
        int seconds = Integer.getInteger("strata.soak.seconds", 5);
        int threads = Integer.getInteger("strata.soak.threads", 4);
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", model.toString(), "--out", store.toString(), "--no-progress"));

        long slot;
        try (var ps = io.strata.tiering.store.PackedStore.open(store)) {
            slot = ps.maxExpertBytes();
        }
        int topK = 2;
        long hostBudget = threads * topK * slot, fastBudget = threads * slot;
        EngineOptions opts = EngineOptions.builder().backend("cpu").context(64).hostBudget(hostBudget).fastBudget(fastBudget)
                .policy("lfu").prefetch("lookahead").prefetchDepth(1).build();

        Random rnd = new Random(18);
        List<Job> pool = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int[] p = new int[1 + rnd.nextInt(10)];
            for (int j = 0; j < p.length; j++) p[j] = 3 + rnd.nextInt(31_000);
            pool.add(new Job(p, 1 + rnd.nextInt(16)));
        }

        ObjectNode fig = new ObjectMapper().createObjectNode();
        try (StrataModel m = ModelLoader.load(store, opts)) {
            TieredExpertStore tiers = ModelLoader.tieredStore(m);
            assertNotNull(tiers, "the packed model is served through the tiered store");
            assertEquals(threads * topK, tiers.hostSlots(), "host room for threads x top-k experts");
            // Single-threaded reference of every job (greedy, the same model and store).
            int[][] want = new int[pool.size()][];
            for (int i = 0; i < pool.size(); i++) {
                want[i] = m.generateFixed(pool.get(i).prompt(), pool.get(i).maxTokens(), SamplingConfig.GREEDY).tokens();
            }
            StoreStats before = tiers.stats();

            AtomicLong tokens = new AtomicLong(), done = new AtomicLong(), cancelled = new AtomicLong(), maxStepNs = new AtomicLong();
            AtomicLong peakHost = new AtomicLong();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService exec = Executors.newFixedThreadPool(threads + 1);
            // Budget monitor: the host tier's allocated bytes, sampled while the threads run.
            Future<?> monitor = exec.submit(() -> {
                while (System.nanoTime() < end) {
                    peakHost.accumulateAndGet(tiers.hostAllocatedBytes(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 1000 + t;
                workers.add(exec.submit(() -> {
                    Random r = new Random(seed);
                    while (System.nanoTime() < end && errors.isEmpty()) {
                        int j = r.nextInt(pool.size());
                        Job job = pool.get(j);
                        int stopAfter = r.nextInt(4) == 0 ? 1 + r.nextInt(job.maxTokens()) : Integer.MAX_VALUE;
                        List<Integer> got = new ArrayList<>();
                        long[] last = {System.nanoTime()};
                        try {
                            m.generateFixed(job.prompt(), job.maxTokens(), SamplingConfig.GREEDY, id -> {
                                long now = System.nanoTime();
                                maxStepNs.accumulateAndGet(now - last[0], Math::max);
                                last[0] = now;
                                got.add(id);
                                tokens.incrementAndGet();
                                return got.size() < stopAfter; // false: cancel the generation here
                            });
                        } catch (RuntimeException ex) {
                            var sw = new java.io.StringWriter();
                            ex.printStackTrace(new java.io.PrintWriter(sw));
                            errors.add("job " + j + ": " + sw);
                            return;
                        }
                        int[] g = got.stream().mapToInt(Integer::intValue).toArray();
                        int n = Math.min(stopAfter, want[j].length);
                        if (!Arrays.equals(Arrays.copyOf(want[j], n), g)) {
                            errors.add("job " + j + ": expected " + Arrays.toString(Arrays.copyOf(want[j], n)) + ", found "
                                    + Arrays.toString(g));
                        }
                        (stopAfter < job.maxTokens() ? cancelled : done).incrementAndGet();
                    }
                }));
            }
            for (Future<?> w : workers) {
                try {
                    w.get(seconds + STEP_BOUND_MS / 1000 + 30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException te) {
                    fail("a generating thread did not finish: deadlock or stall\n" + threadDump());
                }
            }
            monitor.cancel(true);
            exec.shutdownNow();
            assertTrue(errors.isEmpty(), "errors: " + errors);
            assertTrue(maxStepNs.get() < TimeUnit.MILLISECONDS.toNanos(STEP_BOUND_MS), "a token took " + maxStepNs.get() / 1e6 + " ms");
            assertTrue(peakHost.get() <= hostBudget, "host tier " + peakHost.get() + " bytes over its budget " + hostBudget);
            assertTrue(done.get() + cancelled.get() > 0 && tokens.get() > 0, "the soak generated nothing");

            // No leaked pins or slots: every host slot can be pinned at once, within the bound.
            ExecutorService check = Executors.newSingleThreadExecutor();
            Future<?> all = check.submit(() -> {
                List<ExpertHandle> hs = new ArrayList<>();
                for (int i = 0; i < tiers.hostSlots(); i++) {
                    hs.add(tiers.acquire(i / 8, i % 8));
                }
                hs.forEach(ExpertHandle::close);
            });
            try {
                all.get(STEP_BOUND_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException te) {
                fail("after the soak, " + tiers.hostSlots() + " experts could not be pinned at once: a slot leaked\n" + threadDump());
            } finally {
                check.shutdownNow();
            }
            StoreStats st = tiers.stats().minus(before);
            fig.put("seconds", seconds).put("threads", threads).put("generations_completed", done.get())
                    .put("generations_cancelled", cancelled.get()).put("tokens", tokens.get())
                    .put("max_token_ms", maxStepNs.get() / 1e6).put("host_budget_bytes", hostBudget)
                    .put("host_peak_bytes", peakHost.get()).put("fast_budget_bytes", fastBudget)
                    .put("fast_capacity_experts", tiers.fastCapacity()).put("host_slots", tiers.hostSlots())
                    .put("errors", errors.size()).put("load_failures", st.loadFailures());
            fig.set("store", st.toJson());
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/soak.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(fig));
        System.out.println("soak: " + fig);
    }

    private static String threadDump() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
            b.append(t.getName()).append(" ").append(t.getState()).append('\n');
            for (StackTraceElement e : st) b.append("    at ").append(e).append('\n');
        });
        return b.toString();
    }
}
