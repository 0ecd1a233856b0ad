// JMH: fused dequantize matvec (INT2, INT4; vector and scalar twin) vs the dense bf16 matvec, on an up projection.
package io.strata.bench.compression;

import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** {@code y = W·x} for one token, W the {@code [I, H]} up projection of an OLMoE or Mixtral expert, all threads. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CompressionMatvecBench {
    @Param({"olmoe", "mixtral"})
    public String shape;

    private Arena arena;
    private Matrix bf16;             // [I, H] bf16
    private QuantizedMatrix int2, int4;
    private DenseKernels dense;
    private QuantKernels vector, scalar;
    private float[] x, y;            // x (H), y (I)

    @Setup(Level.Trial)
    public void setup() {
        ExpertShape s = ExpertShape.byName(shape);
        arena = Arena.ofShared();
        bf16 = ExpertShape.random("up", s.intermediate(), s.hidden(), arena, 3);
        // RTN fit: the kernel's speed does not depend on how scale and zero were fitted
        int2 = QuantizedMatrix.encode(bf16, QuantFormat.INT2_G64, HqqFit.RTN, arena);
        int4 = QuantizedMatrix.encode(bf16, QuantFormat.INT4_G64, HqqFit.RTN, arena);
        dense = Kernels.dense();
        vector = Kernels.quant();
        scalar = Kernels.scalarQuant();
        x = ExpertShape.randomVector(s.hidden(), 5);
        y = new float[s.intermediate()];
        System.out.printf("%n%s [%d, %d]: bf16 %d B, int4 %d B, int2 %d B; dense %s, quant %s (%s)%n", shape, s.intermediate(),
                s.hidden(), bf16.byteSize(), int4.byteSize(), int2.byteSize(), dense.name(), vector.name(), Kernels.reason());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float bf16Dense() {
        Parallel.forRange(y.length, 64, (a, b) -> dense.matmul(bf16, x, 1, y, a, b));
        return y[0];
    }

    @Benchmark
    public float int4Vector() {
        vector.matvec(int4, x, y);
        return y[0];
    }

    @Benchmark
    public float int4Scalar() {
        scalar.matvec(int4, x, y);
        return y[0];
    }

    @Benchmark
    public float int2Vector() {
        vector.matvec(int2, x, y);
        return y[0];
    }

    @Benchmark
    public float int2Scalar() {
        scalar.matvec(int2, x, y);
        return y[0];
    }
}
