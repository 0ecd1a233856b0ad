// JMH: batched prefill products (n tokens against one expert projection) — scalar twin, the previous per-token vector path, and the batched kernel.
package io.strata.bench.kernels;

import io.strata.bench.compression.ExpertShape;
import io.strata.bench.kernels.baseline.BaselineDenseKernels;
import io.strata.bench.kernels.baseline.BaselineQuantKernels;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * {@code Y = W·X} for {@link #n} tokens, W an OLMoE up projection {@code [1024, 2048]} (bf16 4 MiB,
 * INT4 1.1 MiB: cache-resident, so this measures compute, which is what bounds prefill), one
 * thread. {@code fooScalar}: the scalar twin; {@code fooBefore}: the vector kernels before the
 * batched path (bench-only copies: per-token code extraction); {@code fooVector}: {@link Kernels}.
 * Throughput in tokens: n / score.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class PrefillMatmulBench {
    static final int ROWS = 1024, COLS = 2048;

    /** Tokens routed to this expert in one prefill batch. */
    @Param({"4", "32"})
    public int n;

    private Arena arena;
    private Matrix bf16;
    private QuantizedMatrix int4, int8;
    private final DenseKernels denseScalar = Kernels.scalar(), denseVector = Kernels.vectorOrNull();
    private final BaselineDenseKernels denseBefore = new BaselineDenseKernels();
    private final QuantKernels quantScalar = Kernels.scalarQuant(), quantVector = Kernels.vectorQuantOrNull();
    private final BaselineQuantKernels quantBefore = new BaselineQuantKernels();
    private float[] x, y; // (n, COLS), (n, ROWS)

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        bf16 = ExpertShape.random("up", ROWS, COLS, arena, 3);
        int4 = QuantizedMatrix.encode(bf16, QuantFormat.INT4_G64, HqqFit.RTN, arena);
        int8 = QuantizedMatrix.encode(bf16, QuantFormat.INT8_G64, HqqFit.RTN, arena);
        x = ExpertShape.randomVector(n * COLS, 5);
        y = new float[n * ROWS];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float bf16Scalar() {
        denseScalar.matmul(bf16, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float bf16Before() {
        denseBefore.matmul(bf16, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float bf16Vector() {
        denseVector.matmul(bf16, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float int4Scalar() {
        quantScalar.matmul(int4, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float int4Before() {
        quantBefore.matmul(int4, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float int4Vector() {
        quantVector.matmul(int4, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float int8Before() {
        quantBefore.matmul(int8, x, n, y, 0, ROWS);
        return y[3];
    }

    @Benchmark
    public float int8Vector() {
        quantVector.matmul(int8, x, n, y, 0, ROWS);
        return y[3];
    }
}
