// The FloE store inside the model: exact at threshold 0 with a bf16 up, and sparse at a positive threshold.
package io.strata.engine.floe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.FloeExpert;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.KvCache;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloeExpertStoreTest {
    /** Token ids of "And the LORD said unto Moses," (golden-greedy.json) followed by a few more. */
    static final int[] PROMPT = {1, 1015, 272, 393, 3775, 773, 624, 5595, 11998, 28725, 11531, 5395};

    @Test
    void thresholdZeroWithBf16UpReproducesTheDenseModel() {
        try (Checkpoint ck = Checkpoint.open(FloeTestModels.tinyMoe())) {
            ModelConfig c = FloeTestModels.config(ck);
            float[][] want = run(FloeTestModels.dense(ck));
            FloeExpertStore store = FloeExpertStore.encode(c, ck, "floe-bf16up", new float[c.numLayers()], false);
            float[][] got = run(FloeTestModels.with(ck, store));
            // prefill (12 tokens, every position) then two decode steps
            for (int i = 0; i < want.length; i++) {
                double e = FloeTestModels.relErr(want[i], got[i]);
                assertTrue(e < 1e-5, "step " + i + ": relative logits error " + e);
            }
            // t = 0 keeps every channel with v ≠ 0: the model ran dense through the FloE path
            assertTrue(store.totals().sparsity() < 1e-3, "sparsity at t = 0: " + store.totals().sparsity());
        }
    }

    /** Prefill logits of every position, then the logits of two decode steps fed the argmax. */
    static float[][] run(MoeModel m) {
        try (m) {
            KvCache cache = m.newCache(32);
            float[] pre = m.forward(PROMPT, 0, cache, true);
            int v = m.config().vocabSize();
            float[] d1 = m.forward(new int[] {argmax(pre, pre.length - v, v)}, PROMPT.length, cache, false);
            float[] d2 = m.forward(new int[] {argmax(d1, 0, v)}, PROMPT.length + 1, cache, false);
            return new float[][] {pre, d1, d2};
        }
    }

    static int argmax(float[] a, int off, int len) {
        int best = 0;
        for (int i = 1; i < len; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }

    @Test
    void multiTokenForwardMatchesTheCompressionModulesSingleTokenReference() {
        // INT2 up, positive threshold: the store's n-token forward equals FloeExpert's scalar-loop
        // specification token by token, with the same mask.
        try (Checkpoint ck = Checkpoint.open(FloeTestModels.tinyMoe()); Arena arena = Arena.ofShared()) {
            ModelConfig c = FloeTestModels.config(ck);
            var blob = ExpertCodecs.byName("floe").encode(expertWeights(ck, c, 3, 5), arena);
            float t = 0.3f;
            FloeExpert ref = FloeExpert.of(blob, t, Kernels.scalarQuant());
            RowResidentExpert x = new RowResidentExpert("test", blob, t, Kernels.quant(), new TransferStats(), arena, false);
            int n = 5, h = c.hidden();
            float[] in = new float[n * h], out = new float[n * h];
            Random rnd = new Random(7);
            for (int i = 0; i < in.length; i++) in[i] = (float) rnd.nextGaussian();
            int active = x.forward(in, n, out);
            int refActive = 0;
            for (int tok = 0; tok < n; tok++) {
                float[] y = new float[h];
                refActive += ref.forwardReference(Arrays.copyOfRange(in, tok * h, (tok + 1) * h), y);
                double e = FloeTestModels.relErr(y, Arrays.copyOfRange(out, tok * h, (tok + 1) * h));
                assertTrue(e < 1e-4, "token " + tok + ": relative error " + e);
            }
            assertEquals(refActive, active, "active channels over 5 tokens");
            assertTrue(active < n * c.expertIntermediate(), "threshold 0.3 should skip some channels");
            assertEquals(FloeCodec.NAME, blob.params().codec());
        }
    }

    static io.strata.compression.codec.ExpertWeights expertWeights(Checkpoint ck, ModelConfig c, int l, int e) {
        int h = c.hidden(), i = c.expertIntermediate();
        return new io.strata.compression.codec.ExpertWeights(
                ck.matrix(io.strata.engine.model.TensorNames.expert(c.arch(), l, e, 0), i, h),
                ck.matrix(io.strata.engine.model.TensorNames.expert(c.arch(), l, e, 1), i, h),
                ck.matrix(io.strata.engine.model.TensorNames.expert(c.arch(), l, e, 2), h, i));
    }
}
