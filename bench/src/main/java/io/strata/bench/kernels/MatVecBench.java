// JMH: bf16 matrix-vector (scalar vs Vector API, all cores) beside a streaming-read bound in the same run.
package io.strata.bench.kernels;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bytes per second of each benchmark = bytes touched / score: the matrix is 4096 x 14336 bf16 (and 32768 x 1024)
 * (117 MB, far larger than the caches), the stream is a 1 GiB off-heap float array summed on all
 * cores. bench/results/matvec.md divides the two. Both read memory once per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class MatVecBench {
    static final int ROWS = 4096, COLS = 14336;
    /** Short rows, as in an OLMoE-1B-7B expert's down projection (1024 columns): one lane sum per 1024 weights. */
    static final int SHORT_ROWS = 32768, SHORT_COLS = 1024;
    static final long STREAM_BYTES = 1L << 30;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    Arena arena;
    Matrix w, shortRows;
    float[] x = new float[COLS], out = new float[ROWS], outShort = new float[SHORT_ROWS];
    MemorySegment stream;
    DenseKernels scalar = Kernels.scalar(), vector = Kernels.vectorOrNull();

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        MemorySegment m = arena.allocate((long) ROWS * COLS * 2, 4096);
        for (long i = 0; i < (long) ROWS * COLS; i++) m.setAtIndex(Layouts.I16, i, Halfs.floatToBf16((i % 97) * 0.001f - 0.05f));
        w = new Matrix("w", m, DType.BF16, ROWS, COLS);
        MemorySegment ms = arena.allocate((long) SHORT_ROWS * SHORT_COLS * 2, 4096);
        for (long i = 0; i < (long) SHORT_ROWS * SHORT_COLS; i++) ms.setAtIndex(Layouts.I16, i, Halfs.floatToBf16((i % 89) * 0.001f - 0.04f));
        shortRows = new Matrix("short", ms, DType.BF16, SHORT_ROWS, SHORT_COLS);
        for (int i = 0; i < COLS; i++) x[i] = (i % 13) * 0.1f;
        stream = arena.allocate(STREAM_BYTES, 4096);
        for (long i = 0; i < STREAM_BYTES / 4; i++) stream.setAtIndex(Layouts.F32, i, (i & 7) * 0.5f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float matvecBf16Scalar() {
        Parallel.forRange(ROWS, 64, (r0, r1) -> scalar.matmul(w, x, 1, out, r0, r1));
        return out[7];
    }

    @Benchmark
    public float matvecBf16Vector() {
        Parallel.forRange(ROWS, 64, (r0, r1) -> vector.matmul(w, x, 1, out, r0, r1));
        return out[7];
    }

    /** The same kernel on {@link #SHORT_ROWS} x {@link #SHORT_COLS} (64 MiB): the per-row work (the lane sum) weighs more. */
    @Benchmark
    public float matvecBf16VectorShortRows() {
        Parallel.forRange(SHORT_ROWS, 256, (r0, r1) -> vector.matmul(shortRows, x, 1, outShort, r0, r1));
        return outShort[7];
    }

    /** Reads the 1 GiB array once on all cores: the machine's practical read bandwidth. */
    @Benchmark
    public float streamRead() {
        int parts = Parallel.threads() * 4;
        float[] sums = new float[parts];
        long chunk = STREAM_BYTES / parts;
        Parallel.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                FloatVector acc = FloatVector.zero(F);
                long end = (p + 1) * chunk;
                for (long off = p * chunk; off < end; off += F.vectorByteSize()) {
                    acc = acc.add(FloatVector.fromMemorySegment(F, stream, off, ByteOrder.LITTLE_ENDIAN));
                }
                sums[p] = acc.reduceLanes(VectorOperators.ADD);
            }
        });
        float s = 0;
        for (float v : sums) s += v;
        return s;
    }
}
