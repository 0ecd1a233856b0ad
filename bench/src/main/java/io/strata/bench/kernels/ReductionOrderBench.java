// JMH: the cost of fixed-order lane sums — the kernels before (reduceLanes) and now (LaneSum), side by side.
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
 * One thread, one token, matrices that stay in the caches (so the kernels are compute-bound and a
 * costlier reduction shows at full weight; from DRAM it would hide behind the memory stalls):
 * <ul>
 *   <li>bf16 {@code [2048, 1024]}: short rows as in an OLMoE down projection, 4 MiB;</li>
 *   <li>INT4/INT2/INT8 group 64 {@code [1024, 2048]}: an OLMoE up projection.</li>
 * </ul>
 * {@code *Before} runs {@link BaselineDenseKernels}/{@link BaselineQuantKernels}, copies of the
 * kernels with {@code reduceLanes(ADD)}; {@code *Now} runs {@link Kernels}. Run the pairs in
 * interleaved rounds (bench/reduction-order.sh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class ReductionOrderBench {
    private Arena arena;
    private Matrix bf16;                  // [2048, 1024]
    private QuantizedMatrix int4, int2, int8; // [1024, 2048]
    private final BaselineDenseKernels denseBefore = new BaselineDenseKernels();
    private final BaselineQuantKernels quantBefore = new BaselineQuantKernels();
    private final DenseKernels denseNow = Kernels.vectorOrNull();
    private final QuantKernels quantNow = Kernels.vectorQuantOrNull();
    private float[] xShort, xLong, yShort, yLong; // (1024), (2048), (2048), (1024)

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        bf16 = ExpertShape.random("down", 2048, 1024, arena, 3);
        Matrix up = ExpertShape.random("up", 1024, 2048, arena, 4);
        int4 = QuantizedMatrix.encode(up, QuantFormat.INT4_G64, HqqFit.RTN, arena);
        int2 = QuantizedMatrix.encode(up, QuantFormat.INT2_G64, HqqFit.RTN, arena);
        int8 = QuantizedMatrix.encode(up, QuantFormat.INT8_G64, HqqFit.RTN, arena);
        xShort = ExpertShape.randomVector(1024, 5);
        xLong = ExpertShape.randomVector(2048, 6);
        yShort = new float[2048];
        yLong = new float[1024];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float bf16ShortRowsBefore() {
        denseBefore.matmul(bf16, xShort, 1, yShort, 0, 2048);
        return yShort[5];
    }

    @Benchmark
    public float bf16ShortRowsNow() {
        denseNow.matmul(bf16, xShort, 1, yShort, 0, 2048);
        return yShort[5];
    }

    @Benchmark
    public float int4Before() {
        quantBefore.matmul(int4, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }

    @Benchmark
    public float int4Now() {
        quantNow.matmul(int4, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }

    @Benchmark
    public float int2Before() {
        quantBefore.matmul(int2, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }

    @Benchmark
    public float int2Now() {
        quantNow.matmul(int2, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }

    @Benchmark
    public float int8Before() {
        quantBefore.matmul(int8, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }

    @Benchmark
    public float int8Now() {
        quantNow.matmul(int8, xLong, 1, yLong, 0, 1024);
        return yLong[5];
    }
}
