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
import io.strata.engine.backend.TestHandles;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.Tier;
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
    void repeatedExpertIsAVramHitWithTheSameResult() {
        java.util.Random rnd = new java.util.Random(5);
        int hidden = 256, inter = 128, n = 11;  // n > 8: the matmuls run in two token chunks
        ExpertWeights w = new ExpertWeights(bf16(rnd, inter, hidden), bf16(rnd, inter, hidden), bf16(rnd, hidden, inter));
        float[] x = new float[n * hidden];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        CpuBackend cpu = new CpuBackend(Kernels.scalar());
        Buf xc = cpu.alloc(x.length), oc = cpu.alloc(n * hidden);
        cpu.write(xc, x, 0, x.length);
        cpu.denseFfn(w, xc, n, oc);
        float[] want = new float[n * hidden];
        cpu.read(oc, want, 0, want.length);
        try (CudaBackend cuda = CudaBackend.create()) {
            Buf xg = cuda.alloc(x.length);
            cuda.write(xg, x, 0, x.length);
            Tier[] served = new Tier[2];
            for (int pass = 0; pass < 2; pass++) {
                Buf og = cuda.alloc(n * hidden);
                try (ExpertHandle h = TestHandles.dense(cuda, new ExpertKey(3, 1), w)) {
                    assertNotNull(h.fast(), "admitted to VRAM");
                    served[pass] = h.servedFrom();
                    cuda.expertFfn(h, xg, n, og);
                }
                float[] got = new float[n * hidden];
                cuda.read(og, got, 0, got.length);
                assertRelative(want, got, 1e-4, "pass " + pass);
            }
            assertArrayEquals(new Tier[] {Tier.HOST, Tier.FAST}, served, "copied once, then a VRAM hit");
            assertEquals(w.byteSize(), cuda.expertBytesCopied(), "one copy of the expert");
        }
    }

    /** An expert of random weights encoded with codec (group-quantized), in off-heap memory. */
    static io.strata.compression.codec.EncodedExpert encoded(String codec, java.util.Random rnd, int hidden, int inter) {
        var w = new io.strata.compression.codec.ExpertWeights(bf16(rnd, inter, hidden), bf16(rnd, inter, hidden), bf16(rnd, hidden, inter));
        return io.strata.compression.codec.ExpertCodecs.byName(codec).encode(w, Arena.ofAuto());
    }

    /**
     * The quantized expert path: INT4 and INT2 run on the fused dequantize kernels from the blob's
     * copy in VRAM, INT8 runs on the host kernels; all against the CPU's fused kernels, with
     * n = 1 and n = 11 (two token chunks), and a second pass served from VRAM.
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
                    try (ExpertHandle h = TestHandles.encoded(cpu, new ExpertKey(0, id), e)) {
                        cpu.expertFfn(h, xc, n, oc);
                    }
                    float[] want = new float[n * hidden];
                    cpu.read(oc, want, 0, want.length);
                    Buf xg = cuda.alloc(x.length);
                    cuda.write(xg, x, 0, x.length);
                    for (int pass = 0; pass < 2; pass++) {
                        Buf og = cuda.alloc(n * hidden);
                        try (ExpertHandle h = TestHandles.encoded(cuda, new ExpertKey(0, id), e)) {
                            cuda.expertFfn(h, xg, n, og);
                        }
                        float[] got = new float[n * hidden];
                        cuda.read(og, got, 0, got.length);
                        assertRelative(want, got, 1e-4, codec + " n=" + n + " pass " + pass);
                    }
                }
                id++;
            }
        }
    }

    /** Random ggml blocks of type t, (rows, cols), with finite f16 scales of realistic size (d ~ 1e-3). */
    static io.strata.compression.ggml.GgmlMatrix randomGgml(java.util.Random rnd, io.strata.compression.ggml.GgmlType t, int rows, int cols) {
        long bytes = (long) rows * cols / t.blockSize * t.typeSize;
        var m = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        int[] halves = switch (t) {
            case Q8_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.name());
        };
        for (long b = 0; b < bytes / t.typeSize; b++) {
            for (int h : halves) {
                m.set(io.strata.compression.Layouts.I16, b * t.typeSize + h, io.strata.compression.Halfs.floatToF16(1e-3f * (1 + rnd.nextFloat())));
            }
        }
        return new io.strata.compression.ggml.GgmlMatrix(t.name(), t, rows, cols, m);
    }

    /**
     * The layouts kept from checkpoints: ggml blocks (Q8_0 from our quantizer; Q4_K gate, Q5_K up, Q6_K down as random
     * blocks) and block-scaled FP8 (16-byte path, and a width that is not a multiple of 16: the per-code path) run on
     * the device kernels from the blob's VRAM copy and match the CPU's kernels, n = 1 and n = 11, twice (second pass a
     * VRAM hit).
     */
    @Test
    void ggufAndFp8ExpertsMatchTheCpuKernels() {
        java.util.Random rnd = new java.util.Random(16);
        var kquant = new io.strata.compression.codec.GgmlCodec(io.strata.compression.ggml.GgmlType.Q4_K, io.strata.compression.ggml.GgmlType.Q5_K,
                io.strata.compression.ggml.GgmlType.Q6_K);
        io.strata.compression.codec.EncodedExpert[] experts = {
            encoded("gguf-q8_0", rnd, 256, 192),
            kquant.keep(randomGgml(rnd, io.strata.compression.ggml.GgmlType.Q4_K, 512, 256),
                    randomGgml(rnd, io.strata.compression.ggml.GgmlType.Q5_K, 512, 256),
                    randomGgml(rnd, io.strata.compression.ggml.GgmlType.Q6_K, 256, 512), Arena.ofAuto()),
            encoded("fp8-b32x48", rnd, 256, 192),
            encoded("fp8", rnd, 200, 72),
        };
        CpuBackend cpu = new CpuBackend(Kernels.scalar());
        try (CudaBackend cuda = CudaBackend.create()) {
            for (int id = 0; id < experts.length; id++) {
                var e = experts[id];
                int hidden = e.params().hidden();
                assertTrue(CudaBackend.onDevice(io.strata.tiering.ExpertLayout.of(e.params())), e.params().codec() + " runs on the device");
                for (int n : new int[] {1, 11}) {
                    float[] x = new float[n * hidden];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Buf xc = cpu.alloc(x.length), oc = cpu.alloc(n * hidden);
                    cpu.write(xc, x, 0, x.length);
                    try (ExpertHandle h = TestHandles.encoded(cpu, new ExpertKey(1, id), e)) {
                        cpu.expertFfn(h, xc, n, oc);
                    }
                    float[] want = new float[n * hidden];
                    cpu.read(oc, want, 0, want.length);
                    Buf xg = cuda.alloc(x.length);
                    cuda.write(xg, x, 0, x.length);
                    for (int pass = 0; pass < 2; pass++) {
                        Buf og = cuda.alloc(n * hidden);
                        try (ExpertHandle h = TestHandles.encoded(cuda, new ExpertKey(1, id), e)) {
                            assertNotNull(h.fast(), "admitted to VRAM");
                            cuda.expertFfn(h, xg, n, og);
                        }
                        float[] got = new float[n * hidden];
                        cuda.read(og, got, 0, got.length);
                        assertRelative(want, got, 1e-4, e.params().codec() + " [H=" + hidden + "] n=" + n + " pass " + pass);
                    }
                }
            }
        }
    }

    /** A whole-backend VRAM budget sizes the expert slots from what is left and is never exceeded. */
    @Test
    void vramBudgetBoundsTheWholeBackend() {
        java.util.Random rnd = new java.util.Random(12);
        int hidden = 256, inter = 192;
        var experts = new io.strata.compression.codec.EncodedExpert[6];
        for (int i = 0; i < experts.length; i++) experts[i] = encoded("int4", rnd, hidden, inter);
        long blob = experts[0].blob().byteSize();
        try (CudaBackend cuda = CudaBackend.create()) {
            long kvBytes = 2L * 2 * 64 * 2 * 64 * 4;           // 2 layers, 64 positions, 2 heads of 64: 128 KiB
            long budget = CudaBackend.SCRATCH_RESERVE + (1 << 20) + 3 * blob + blob / 2;
            cuda.vramBudget(budget);
            var dense = cuda.weight(bf16(rnd, 512, hidden));   // 256 KiB resident outside the slots
            var tier = cuda.newFastTier(blob, kvBytes);
            assertTrue(tier.capacity() >= 3, "slots " + tier.capacity() + " hold at least 3 experts of " + blob);
            var set = new io.strata.tiering.fast.FastSet(tier, new io.strata.tiering.policy.LruPolicy(), tier.capacity(), 1,
                    new io.strata.tiering.stats.StatsRecorder());
            var kv = cuda.newKvCache(2, 64, 2, 64);
            Buf x = cuda.alloc(hidden), out = cuda.alloc(hidden), k = cuda.alloc(2 * 64), v = cuda.alloc(2 * 64);
            cuda.kvStore(kv, 0, 0, 1, k, v);
            long t = 0;
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < experts.length; i++) {
                    ExpertKey key = new ExpertKey(1, i);
                    var s = set.admit(key, new java.lang.foreign.MemorySegment[] {experts[i].blob()}, t++, kk -> true);
                    set.lease(key);
                    try (ExpertHandle h = ExpertHandle.encoded(key, Tier.HOST, experts[i], s, () -> set.unlease(key))) {
                        cuda.expertFfn(h, x, 1, out);
                    }
                }
            }
            long[] used = cuda.vramUsage();
            assertTrue(used[1] <= budget, "peak " + used[1] + " within budget " + budget);
            assertNotNull(dense);
            // Past the budget, a device allocation is refused rather than served.
            IllegalStateException over = assertThrows(IllegalStateException.class, () -> cuda.alloc((int) (budget / 4)));
            assertTrue(over.getMessage().contains("VRAM budget"), over.getMessage());
            set.close();
        }
        try (CudaBackend cuda = CudaBackend.create()) {
            cuda.vramBudget(CudaBackend.SCRATCH_RESERVE + blob / 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.newFastTier(blob, 0));
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
