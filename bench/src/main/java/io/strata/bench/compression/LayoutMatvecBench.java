// JMH: matvec straight from the GGUF block layouts (Q8_0, Q4_K, Q5_K, Q6_K, MXFP4) and block-scaled FP8 (vector and scalar twin) beside INT4, dense bf16 and a streaming read.
package io.strata.bench.compression;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.StreamRead;
import io.strata.compression.ggml.GgmlKernels;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.ggml.GgmlType;
import io.strata.compression.fp8.Fp8Kernels;
import io.strata.compression.fp8.Fp8Matrix;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * {@code y = W·x} for one token, W the {@code [14336, 4096]} up projection of a Mixtral-8x7B
 * expert, all threads. Each layout's time is to be read against its bytes over the streaming-read
 * bandwidth ({@code streamRead}, 512 MiB): the kernels are memory-bound when they reach it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class LayoutMatvecBench {
    static final int ROWS = 14336, COLS = 4096;
    static final long STREAM_BYTES = 512L << 20;

    private Arena arena;
    private Matrix bf16;
    private QuantizedMatrix int4;
    private GgmlMatrix q8, q4k, q5k, q6k, mxfp4;
    private MemorySegment stream;
    private DenseKernels dense;
    private QuantKernels quant;
    private GgmlKernels vector, scalar;
    private Fp8Matrix fp8;             // 128 x 128 blocks, as DeepSeek-V3 and the Qwen3 FP8 releases
    private Fp8Kernels fp8Vector, fp8Scalar;
    private final float[] x = ExpertShape.randomVector(COLS, 5), y = new float[ROWS];

    /** Random blocks with finite, realistic f16 / e8m0 scales: the kernels' speed does not depend on the values. */
    static GgmlMatrix randomBlocks(GgmlType t, Arena arena, long seed) {
        long bytes = (long) ROWS * COLS / t.blockSize * t.typeSize;
        MemorySegment s = arena.allocate(bytes, 4096);
        long z = seed * 0x9E3779B97F4A7C15L + 1;
        for (long i = 0; i < bytes; i += 8) {
            z = z * 6364136223846793005L + 1442695040888963407L;
            for (int k = 0; k < 8 && i + k < bytes; k++) s.set(ValueLayout.JAVA_BYTE, i + k, (byte) (z >>> (8 * k)));
        }
        for (long b = 0; b < bytes / t.typeSize; b++) {
            long p = b * t.typeSize;
            switch (t) {
                case Q8_0 -> s.set(Layouts.I16, p, Halfs.floatToF16(0.002f));
                case Q4_K, Q5_K -> {
                    s.set(Layouts.I16, p, Halfs.floatToF16(0.001f));
                    s.set(Layouts.I16, p + 2, Halfs.floatToF16(0.0005f));
                }
                case Q6_K -> s.set(Layouts.I16, p + 208, Halfs.floatToF16(0.001f));
                case MXFP4 -> s.set(ValueLayout.JAVA_BYTE, p, (byte) 120);
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return new GgmlMatrix("up-" + t, t, ROWS, COLS, s);
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        bf16 = ExpertShape.random("up", ROWS, COLS, arena, 3);
        int4 = QuantizedMatrix.encode(bf16, QuantFormat.INT4_G64, HqqFit.RTN, arena);
        q8 = randomBlocks(GgmlType.Q8_0, arena, 11);
        q4k = randomBlocks(GgmlType.Q4_K, arena, 12);
        mxfp4 = randomBlocks(GgmlType.MXFP4, arena, 13);
        q5k = randomBlocks(GgmlType.Q5_K, arena, 14);
        q6k = randomBlocks(GgmlType.Q6_K, arena, 15);
        MemorySegment codes = arena.allocate((long) ROWS * COLS, 4096);
        for (long i = 0; i < (long) ROWS * COLS; i++) codes.set(ValueLayout.JAVA_BYTE, i, (byte) ((i * 37) % 126)); // no NaN code (0x7F)
        MemorySegment scales = arena.allocate((long) (ROWS / 128) * (COLS / 128) * 4, 64);
        for (long i = 0; i < scales.byteSize() / 4; i++) scales.setAtIndex(Layouts.F32, i, 0.001f);
        fp8 = new Fp8Matrix("up-fp8", ROWS, COLS, 128, 128, codes, scales);
        fp8Vector = Fp8Kernels.best();
        fp8Scalar = new Fp8Kernels.Scalar();
        stream = arena.allocate(STREAM_BYTES, 4096);
        for (long i = 0; i < STREAM_BYTES / 4; i++) stream.setAtIndex(Layouts.F32, i, (i & 7) * 0.5f);
        dense = Kernels.dense();
        quant = Kernels.quant();
        vector = GgmlKernels.best();
        scalar = new GgmlKernels.Scalar();
        System.out.printf("%n[%d, %d] bytes: bf16 %d, int4 %d, Q8_0 %d, Q4_K %d, Q5_K %d, Q6_K %d, MXFP4 %d, FP8 %d; stream %d; kernels %s / %s / %s / %s%n",
                ROWS, COLS, bf16.byteSize(), int4.byteSize(), q8.data().byteSize(), q4k.data().byteSize(), q5k.data().byteSize(),
                q6k.data().byteSize(), mxfp4.data().byteSize(),
                fp8.codes().byteSize() + fp8.scales().byteSize(), STREAM_BYTES, dense.name(), quant.name(), vector.name(), fp8Vector.name());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float bf16Dense() {
        Parallel.forRange(ROWS, 64, (a, b) -> dense.matmul(bf16, x, 1, y, a, b));
        return y[0];
    }

    @Benchmark
    public float int4Vector() {
        quant.matvec(int4, x, y);
        return y[0];
    }

    @Benchmark
    public float q8_0Vector() {
        vector.matvec(q8, x, y);
        return y[0];
    }

    @Benchmark
    public float q8_0Scalar() {
        scalar.matvec(q8, x, y);
        return y[0];
    }

    @Benchmark
    public float q4_KVector() {
        vector.matvec(q4k, x, y);
        return y[0];
    }

    @Benchmark
    public float q4_KScalar() {
        scalar.matvec(q4k, x, y);
        return y[0];
    }

    @Benchmark
    public float q5_KVector() {
        vector.matvec(q5k, x, y);
        return y[0];
    }

    @Benchmark
    public float q6_KVector() {
        vector.matvec(q6k, x, y);
        return y[0];
    }

    @Benchmark
    public float mxfp4Vector() {
        vector.matvec(mxfp4, x, y);
        return y[0];
    }

    @Benchmark
    public float mxfp4Scalar() {
        scalar.matvec(mxfp4, x, y);
        return y[0];
    }

    @Benchmark
    public float fp8Vector() {
        fp8Vector.matvec(fp8, x, y);
        return y[0];
    }

    @Benchmark
    public float fp8Scalar() {
        fp8Scalar.matvec(fp8, x, y);
        return y[0];
    }

    /** Sums 512 MiB on all cores: the machine's practical read bandwidth (ms per 512 MiB). */
    @Benchmark
    public float streamRead() {
        return StreamRead.sum(stream);
    }
}
