// The typed engine options: defaults when built by hand, validation naming the field, and budgets on a checkpoint folder refused with the command that packs it.
package io.strata.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EngineOptionsTest {
    static final Path TINY = Path.of(System.getProperty("strata.root", ".."), "models", "tiny-moe");

    @Test
    void defaultsApplyWhenBuiltByHand() {
        EngineOptions d = EngineOptions.defaults();
        assertEquals("auto", d.backend());
        assertEquals(4096, d.context());
        assertEquals(0, d.hostBudget());
        assertEquals("lru", d.policy());
        assertEquals("off", d.prefetch());
        assertEquals(1, d.prefetchDepth());
        assertEquals(2, d.loaderThreads());
        assertEquals(EngineOptions.OffloadCompute.AUTO, d.offloadCompute());
        // The canonical constructor with nulls and zeros gives the same defaults.
        assertEquals(d, new EngineOptions(null, 0, 0, 0, 0, null, null, null, 0, null, 0, null, null, null));
        EngineOptions b = EngineOptions.builder().hostBudget("2GiB").fastBudget("512MiB").offloadCompute("cpu").build();
        assertEquals(2L << 30, b.hostBudget());
        assertEquals(512L << 20, b.fastBudget());
        assertEquals(EngineOptions.OffloadCompute.CPU, b.offloadCompute());
        assertEquals(b, b.toBuilder().build());
    }

    @Test
    void badValuesNameTheirField() {
        assertMessage(() -> EngineOptions.builder().backend("tpu").build(), "backend");
        assertMessage(() -> EngineOptions.builder().context(-3).build(), "context");
        assertMessage(() -> EngineOptions.builder().policy("mru").build(), "policy");
        assertMessage(() -> EngineOptions.builder().policy("learned").build(), "--policy-model");
        assertMessage(() -> EngineOptions.builder().prefetch("learned").build(), "--prefetch-model");
        assertMessage(() -> EngineOptions.builder().prefetch("psychic").build(), "prefetch");
        assertMessage(() -> EngineOptions.builder().offloadCompute("tpu").build(), "offload-compute");
        assertMessage(() -> EngineOptions.builder().hostBudget("lots").build(), "byte size");
        assertMessage(() -> EngineOptions.builder().threads(-1).build(), "threads");
    }

    @Test
    void budgetsOnACheckpointFolderAreRefusedWithThePackCommand() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StrataModel.load(TINY, EngineOptions.builder().backend("cpu").hostBudget("1MiB").build()));
        assertTrue(e.getMessage().contains("--host-budget") && e.getMessage().contains("strata pack --model " + TINY)
                && e.getMessage().contains("--out"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> StrataModel.load(TINY, EngineOptions.builder().backend("cpu").policy("lfu").build()));
        assertTrue(e.getMessage().contains("--policy lfu"), e.getMessage());
    }

    @Test
    void statsCountTokensAndTime() {
        try (StrataModel m = StrataModel.load(TINY, EngineOptions.builder().backend("cpu").context(128).build())) {
            EngineStats before = m.stats();
            assertEquals(0, before.generatedTokens());
            var r = m.generateFixed(m.encode("In the beginning"), 5, io.strata.engine.generate.SamplingConfig.GREEDY);
            EngineStats after = m.stats();
            assertEquals(5, after.generatedTokens());
            assertEquals(r.promptTokens(), after.promptTokens());
            assertTrue(after.decodeNanos() > 0 && after.decodeTokensPerSecond() > 0);
            assertEquals(0, after.openSessions());
            assertTrue(after.tiers().isEmpty(), "a checkpoint folder has no tiers");
        }
    }

    @Test
    void threadsAreProcessWideAndADifferentLaterRequestIsRefused() {
        int now = io.strata.compression.kernel.Parallel.threads();
        ModelLoader.applyThreads(0); // 0 = leave as it is
        ModelLoader.applyThreads(now);
        assertMessage(() -> ModelLoader.applyThreads(now + 1), "already runs " + now + " threads");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable x, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, x);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
