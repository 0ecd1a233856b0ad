// Experts computed side by side, one per thread, give the bits they give one after another.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.floe.CodecExpertStore;
import io.strata.engine.floe.EncodedExperts;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.tiering.ExpertStore;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped tiny-moe (8 experts, top-2) over a 24-token prompt routes most of its experts in every layer, so the prompt
 * step computes them side by side; the logits of every prompt token and of the decode steps after it must be the bits
 * of the same model with the switch off. Bf16 experts from the checkpoint and int4 experts (the fused kernels).
 */
class ExpertsSideBySideTest {
    static final int[] PROMPT = {1, 400, 27, 912, 3051, 88, 5, 1200, 77, 640, 19, 2500, 301, 45, 8, 1999, 150, 3, 720, 66, 4010, 12, 555, 90};

    @Test
    void bf16ExpertsFromTheCheckpoint() throws Exception {
        check(ck -> new CheckpointExpertStore(config(ck), ck), "bf16 checkpoint");
    }

    @Test
    void int4ExpertsThroughTheFusedKernels() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            check(ck -> new CodecExpertStore(EncodedExperts.encode(config(ck), ck, ExpertCodecs.byName("int4"), arena),
                    CodecExpertStore.Mode.FUSED), "int4");
        }
    }

    private static ModelConfig config(Checkpoint ck) {
        try {
            return ModelConfig.parse(ck.config(), TrainedModelGoldenTest.modelDir());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(Function<Checkpoint, ExpertStore> store, String what) throws Exception {
        Path dir = TrainedModelGoldenTest.modelDir();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "models/tiny-moe not found at " + dir);
        Assumptions.assumeTrue(Parallel.threads() >= 2, "one worker thread (" + Parallel.threads() + "): experts are never side by side");
        float[][] on = run(store, true), off = run(store, false);
        assertTrue(on[on.length - 1][0] > 0, what + ": the prompt step computed no layer side by side");
        assertEquals(0f, off[off.length - 1][0], what + ": the switch off still computed side by side");
        for (int s = 0; s < on.length - 1; s++) {
            assertEquals(off[s].length, on[s].length);
            for (int i = 0; i < on[s].length; i++) {
                assertEquals(Float.floatToRawIntBits(off[s][i]), Float.floatToRawIntBits(on[s][i]),
                        what + ": step " + s + ", logit " + i + ": " + off[s][i] + " one after another, " + on[s][i] + " side by side");
            }
        }
    }

    /** The prompt's logits (every token), then three greedy decode steps' logits; last: {side-by-side layers}. */
    private static float[][] run(Function<Checkpoint, ExpertStore> store, boolean sideBySide) throws Exception {
        try (Checkpoint ck = Checkpoint.open(TrainedModelGoldenTest.modelDir())) {
            ModelConfig c = config(ck);
            try (MoeModel m = new MoeModel(c, ck, store.apply(ck), new CpuBackend())) {
                m.expertsSideBySide(sideBySide);
                var cache = m.newCache(64);
                float[][] out = new float[5][];
                out[0] = m.forward(PROMPT, 0, cache, true);
                int v = c.vocabSize(), pos = PROMPT.length;
                float[] last = java.util.Arrays.copyOfRange(out[0], (PROMPT.length - 1) * v, PROMPT.length * v);
                for (int s = 1; s <= 3; s++, pos++) {
                    int next = 0;
                    for (int i = 1; i < v; i++) if (last[i] > last[next]) next = i;
                    last = m.forward(new int[] {next}, pos, cache, false);
                    out[s] = last;
                }
                out[4] = new float[] {m.sideBySideLayers()};
                return out;
            }
        }
    }
}
