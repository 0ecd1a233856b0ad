// The routing recorder: one prefill pass and token-by-token decode record the same routes and router inputs.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.KvCache;
import io.strata.engine.synth.SyntheticCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictRecorderTest {
    @Test
    void prefillAndDecodeRecordTheSameRows(@TempDir Path tmp) throws Exception {
        var spec = SyntheticCheckpoint.preset("tiny").withLayers(3);
        Path dir = SyntheticCheckpoint.write(spec, tmp.resolve("tiny"), null);
        int[] ids = {1, 9, 77, 140, 3, 200, 31, 64};
        try (StrataModel m = StrataModel.load(dir, io.strata.engine.api.EngineOptions.builder().backend("cpu").context(64).build())) {
            RoutingRecorder rec = new RoutingRecorder(m.model().backend(), m.config());
            m.model().addObserver(rec);
            m.model().forward(ids, 0, m.model().newCache(16), false);
            RoutingDataset.Sequence prefill = rec.finish("prefill");
            KvCache cache = m.model().newCache(16);
            for (int t = 0; t < ids.length; t++) m.model().forward(new int[] {ids[t]}, t, cache, false);
            RoutingDataset.Sequence decode = rec.finish("decode");
            m.model().removeObserver(rec);

            assertEquals(ids.length, prefill.tokens());
            assertEquals(ids.length, decode.tokens());
            int same = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int l = 0; l < spec.layers(); l++) {
                    float[] a = prefill.hidden()[t][l], b = decode.hidden()[t][l];
                    assertEquals(spec.hidden(), a.length);
                    // Same arithmetic up to the order of f32 sums in batched vs single-row kernels.
                    assertArrayEquals(a, b, 1e-4f, "router input, token " + t + " layer " + l);
                    if (java.util.Arrays.equals(prefill.experts()[t][l], decode.experts()[t][l])) same++;
                }
            }
            assertEquals(ids.length * spec.layers(), same, "every (token, layer) routes the same in prefill and decode");

            // RoutingRuns adds nothing of its own: prompt then greedy tokens, one sequence per prompt.
            RoutingDataset d = RoutingRuns.recordIds(m, List.of(ids), null, 3);
            assertEquals(1, d.sequences().size());
            assertEquals(ids.length + 3, d.sequences().get(0).tokens());
            for (int t = 0; t < ids.length; t++) assertArrayEquals(prefill.experts()[t][1], d.sequences().get(0).experts()[t][1]);
        }
    }
}
