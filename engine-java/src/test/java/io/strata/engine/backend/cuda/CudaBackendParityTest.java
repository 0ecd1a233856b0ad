// Every Backend op on the CUDA backend against the scalar CPU backend (skipped without a GPU).
package io.strata.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.BackendParity;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CudaBackendParityTest {
    @BeforeAll
    static void requireGpu() {
        System.setProperty("strata.cuda.checkLaunches", "true");
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
    }

    @Test
    void everyOpMatchesTheScalarCpuBackend() {
        try (CudaBackend cuda = CudaBackend.create()) {
            BackendParity.checkAll(new CpuBackend(Kernels.scalar()), cuda, 1e-4);
        }
    }

    @Test
    void repeatedExpertIsAVramCacheHitWithTheSameResult() {
        java.util.Random rnd = new java.util.Random(5);
        int hidden = 256, inter = 128, n = 11;  // n > 8: the matmuls run in two token chunks
        ExpertWeights w = new ExpertWeights(bf16(rnd, inter, hidden), bf16(rnd, inter, hidden), bf16(rnd, hidden, inter));
        float[] x = new float[n * hidden];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        CpuBackend cpu = new CpuBackend(Kernels.scalar());
        Buf xc = cpu.alloc(x.length), oc = cpu.alloc(n * hidden);
        cpu.write(xc, x, 0, x.length);
        cpu.expertFfn(new ExpertKey(3, 1), w, xc, n, oc);
        float[] want = new float[n * hidden];
        cpu.read(oc, want, 0, want.length);
        try (CudaBackend cuda = CudaBackend.create()) {
            Buf xg = cuda.alloc(x.length);
            cuda.write(xg, x, 0, x.length);
            for (int pass = 0; pass < 2; pass++) {
                Buf og = cuda.alloc(n * hidden);
                cuda.expertFfn(new ExpertKey(3, 1), w, xg, n, og);
                float[] got = new float[n * hidden];
                cuda.read(og, got, 0, got.length);
                double num = 0, den = 0;
                for (int i = 0; i < got.length; i++) {
                    num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                    den += (double) want[i] * want[i];
                }
                assertTrue(Math.sqrt(num / den) < 1e-4, "pass " + pass + ": relative error " + Math.sqrt(num / den));
            }
            long[] stats = cuda.expertCacheStats();
            assertEquals(1, stats[0], "hits");
            assertEquals(1, stats[1], "misses");
        }
    }

    /** An expert of random weights encoded with codec (group-quantized), in off-heap memory. */
    static io.strata.compression.codec.EncodedExpert encoded(String codec, java.util.Random rnd, int hidden, int inter) {
        var w = new io.strata.compression.codec.ExpertWeights(bf16(rnd, inter, hidden), bf16(rnd, inter, hidden), bf16(rnd, hidden, inter));
        return io.strata.compression.codec.ExpertCodecs.byName(codec).encode(w, Arena.ofAuto());
    }

    /**
     * The quantized expert path: INT4 and INT2 run on the fused dequantize kernels from the blob's
     * copy in VRAM, INT8 falls back to the host kernels; all against the CPU's fused kernels, with
     * n = 1 and n = 11 (two token chunks), and a second pass served from the VRAM cache.
     */
    @Test
    void quantizedExpertsMatchTheCpuFusedKernels() {
        java.util.Random rnd = new java.util.Random(9);
        int hidden = 256, inter = 192;
        CpuBackend cpu = new CpuBackend(Kernels.scalar());
        try (CudaBackend cuda = CudaBackend.create()) {
            int id = 0;
            for (String codec : new String[] {"int4", "int2", "int8"}) {
                var e = encoded(codec, rnd, hidden, inter);
                for (int n : new int[] {1, 11}) {
                    float[] x = new float[n * hidden];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Buf xc = cpu.alloc(x.length), oc = cpu.alloc(n * hidden);
                    cpu.write(xc, x, 0, x.length);
                    cpu.quantExpertFfn(new ExpertKey(0, id), e, xc, n, oc);
                    float[] want = new float[n * hidden];
                    cpu.read(oc, want, 0, want.length);
                    Buf xg = cuda.alloc(x.length);
                    cuda.write(xg, x, 0, x.length);
                    for (int pass = 0; pass < 2; pass++) {
                        Buf og = cuda.alloc(n * hidden);
                        cuda.quantExpertFfn(new ExpertKey(0, id), e, xg, n, og);
                        float[] got = new float[n * hidden];
                        cuda.read(og, got, 0, got.length);
                        assertRelative(want, got, 1e-4, codec + " n=" + n + " pass " + pass);
                    }
                }
                id++;
            }
            long[] stats = cuda.expertCacheStats();
            // int4 and int2: n=1 misses then hits 3 times (second pass, and both passes of n=11); int8 never enters
            assertEquals(6, stats[0], "hits");
            assertEquals(2, stats[1], "misses");
        }
    }

    /** A whole-backend VRAM budget sizes the expert cache from what is left and is never exceeded. */
    @Test
    void vramBudgetBoundsTheWholeBackend() {
        java.util.Random rnd = new java.util.Random(12);
        int hidden = 256, inter = 192;
        var experts = new io.strata.compression.codec.EncodedExpert[6];
        for (int i = 0; i < experts.length; i++) experts[i] = encoded("int4", rnd, hidden, inter);
        long blob = experts[0].blob().byteSize();
        try (CudaBackend cuda = CudaBackend.create()) {
            var dense = cuda.weight(bf16(rnd, 512, hidden));   // 256 KiB resident outside the cache
            var kv = cuda.newKvCache(2, 64, 2, 64);            // 2·2·64·2·64·4 = 128 KiB reserved
            long budget = CudaBackend.SCRATCH_RESERVE + (1 << 20) + 3 * blob + blob / 2;
            cuda.vramBudget(budget);
            Buf x = cuda.alloc(hidden), out = cuda.alloc(hidden);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < experts.length; i++) cuda.quantExpertFfn(new ExpertKey(1, i), experts[i], x, 1, out);
            }
            long cache = cuda.expertCacheBytes();
            assertTrue(cache >= 3 * blob, "cache " + cache + " holds at least 3 experts of " + blob);
            long[] used = cuda.vramUsage();
            assertTrue(used[1] <= budget, "peak " + used[1] + " within budget " + budget);
            assertEquals(12, cuda.expertCacheStats()[0] + cuda.expertCacheStats()[1]);
            assertNotNull(dense);
            assertNotNull(kv);
        }
        try (CudaBackend cuda = CudaBackend.create()) {
            cuda.vramBudget(CudaBackend.SCRATCH_RESERVE + blob / 2);
            Buf x = cuda.alloc(hidden), out = cuda.alloc(hidden);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cuda.quantExpertFfn(new ExpertKey(0, 0), experts[0], x, 1, out));
            assertTrue(e.getMessage().contains("VRAM budget") && e.getMessage().contains("less than one expert"), e.getMessage());
        }
    }

    static void assertRelative(float[] want, float[] got, double tol, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            num += (got[i] - want[i]) * (double) (got[i] - want[i]);
            den += (double) want[i] * want[i];
        }
        assertTrue(den > 0, what + ": reference is all zeros");
        assertTrue(Math.sqrt(num / den) < tol, what + ": relative error " + Math.sqrt(num / den));
    }

    static Matrix bf16(java.util.Random rnd, int rows, int cols) {
        MemorySegment m = Arena.ofAuto().allocate((long) rows * cols * 2, 64);
        for (long i = 0; i < (long) rows * cols; i++) m.setAtIndex(Layouts.I16, i, Halfs.floatToBf16((float) rnd.nextGaussian() * 0.1f));
        return new Matrix("w" + rows + "x" + cols, m, DType.BF16, rows, cols);
    }

    @Test
    void buffersRoundTripAndSlices() {
        try (Backend cuda = CudaBackend.create()) {
            float[] v = new float[4098];
            for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 7;
            Buf b = cuda.alloc(v.length);
            float[] zeros = new float[v.length];
            cuda.read(b, zeros, 0, v.length);
            for (float z : zeros) assertEquals(0f, z, "alloc must zero");
            cuda.write(b, v, 0, v.length);
            float[] back = new float[13];
            cuda.read(b.slice(207, 13), back, 0, 13);
            for (int i = 0; i < 13; i++) assertEquals(v[207 + i], back[i], "slice element " + i);
            assertTrue(cuda.name().startsWith("cuda:"), cuda.name());
        }
    }
}
