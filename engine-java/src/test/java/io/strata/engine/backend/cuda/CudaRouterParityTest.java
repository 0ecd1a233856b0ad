// The CUDA grouped router (DeepSeek-V2/V3, GLM-4.5) against its Java twin Router.route (skipped without a GPU).
package io.strata.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.strata.engine.moe.Router;
import io.strata.engine.moe.RouterSpec;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.kernels.cuda.CudaContext;
import io.strata.kernels.cuda.CudaStream;
import io.strata.kernels.cuda.DeviceBuffer;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CudaRouterParityTest {
    @BeforeAll
    static void requireGpu() {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
    }

    @Test
    void groupedRouterMatchesTheJavaRouter() {
        Random rnd = new Random(3);
        // experts, k, groups, kept groups: DeepSeek-V3 (256, 8, 8, 4), V2 (160, 6, 8, 3), GLM (128, 8, 1, 1), awkward ones
        int[][] shapes = {{256, 8, 8, 4}, {160, 6, 8, 3}, {128, 8, 1, 1}, {13, 3, 1, 1}, {12, 5, 4, 2}, {64, 6, 1, 1}};
        try (CudaBackend be = CudaBackend.create()) {
            CudaContext ctx = be.context();
            try (CudaStream s = ctx.newStream()) {
                for (int[] sh : shapes) {
                    int E = sh[0], k = sh[1], G = sh[2], kg = sh[3], n = 5;
                    for (RouterSpec spec : new RouterSpec[] {
                            new RouterSpec(RouterSpec.Scoring.SIGMOID, G, kg, true, true, 2.5f),
                            new RouterSpec(RouterSpec.Scoring.SOFTMAX, G, kg, false, false, 1f),
                            new RouterSpec(RouterSpec.Scoring.SOFTMAX, G, kg, false, true, 16f)}) {
                        boolean withBias = spec.scoring() == RouterSpec.Scoring.SIGMOID;
                        float[] logits = new float[n * E], bias = new float[E];
                        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian() * 2;
                        for (int i = 0; i < E; i++) bias[i] = (float) rnd.nextGaussian() * 0.5f;
                        int[] wantIds = new int[n * k];
                        float[] wantW = new float[n * k];
                        for (int t = 0; t < n; t++) {
                            int[] ids = new int[k];
                            float[] w = new float[k];
                            Router.route(spec, logits, t * E, E, k, withBias ? bias : null, ids, w);
                            System.arraycopy(ids, 0, wantIds, t * k, k);
                            System.arraycopy(w, 0, wantW, t * k, k);
                        }
                        try (DeviceBuffer dl = ctx.alloc(4L * logits.length, "logits"); DeviceBuffer db = ctx.alloc(4L * E, "bias");
                             DeviceBuffer di = ctx.alloc(4L * n * k, "ids"); DeviceBuffer dw = ctx.alloc(4L * n * k, "weights")) {
                            dl.upload(logits);
                            db.upload(bias);
                            ctx.kernels().routerGrouped(s, dl, withBias ? db : null, n, E, k, spec.scoring() == RouterSpec.Scoring.SIGMOID,
                                    spec.nGroup(), spec.topkGroup(), spec.groupByTop2Sum(), spec.normTopK(), spec.scale(), di, dw);
                            s.synchronize();
                            String at = spec + " E=" + E + " k=" + k;
                            assertArrayEquals(wantIds, di.downloadInts(n * k), "ids " + at);
                            assertArrayEquals(wantW, dw.downloadFloats(n * k), 1e-5f * spec.scale(), "weights " + at);
                        }
                    }
                }
            }
        }
    }
}
