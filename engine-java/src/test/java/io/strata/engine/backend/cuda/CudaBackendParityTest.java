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
