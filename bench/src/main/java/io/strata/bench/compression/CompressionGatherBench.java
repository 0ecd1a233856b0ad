// JMH: FloE gathered-row gate+down at 10 % density vs the dense bf16 gate+down, and the whole FloE expert vs the dense expert.
package io.strata.bench.compression;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.floe.FloeExpert;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.Matrix;
import io.strata.compression.quant.HqqFit;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * One token through one expert of OLMoE (H 2048, I 1024) or Mixtral (H 4096, I 14336), all
 * threads of {@link Parallel}. "gateDown" isolates the two bf16 matrices FloE makes sparse:
 * dense reads both whole; gathered reads only the active rows (gate rows, transposed-down rows).
 * "expert" adds the up projection: dense bf16 vs FloE's resident INT2 up + gathered rows.
 * Active channels: the top {@code density} of |x·W_upᵀ| (INT2 up), as a calibrated t would give.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CompressionGatherBench {
    @Param({"olmoe", "mixtral"})
    public String shape;

    @Param({"0.1"})
    public double density;

    private Arena arena;
    private ExpertWeights dense;     // gate, up [I, H], down [H, I] bf16
    private Matrix gate, downT;      // [I, H] bf16 views on the floe blob
    private FloeExpert floe;
    private FloeExpert.Scratch scratch;
    private DenseKernels denseKernels;
    private QuantKernels vector, scalar;
    private int[] idx;               // (count) active channels
    private int count;
    private float[] x, y, g, h, v;   // x, y (H); g, h, v (I)

    @Setup(Level.Trial)
    public void setup() {
        ExpertShape s = ExpertShape.byName(shape);
        arena = Arena.ofShared(); // shared: kernels read it from the pool threads
        dense = s.randomExpert(arena, 42);
        // RTN fit: the kernel's speed does not depend on how scale and zero were fitted
        EncodedExpert e = new FloeCodec(FloeCodec.UP_FORMAT, HqqFit.RTN, 0f).encode(dense, arena);
        gate = FloeCodec.bf16View(e, "gate");
        downT = FloeCodec.bf16View(e, "downT");
        denseKernels = Kernels.dense();
        vector = Kernels.quant();
        scalar = Kernels.scalarQuant();
        x = ExpertShape.randomVector(s.hidden(), 7);
        y = new float[s.hidden()];
        g = new float[s.intermediate()];
        h = new float[s.intermediate()];
        v = new float[s.intermediate()];
        FloeExpert probe = FloeExpert.of(e, 0f, vector);
        probe.up(x, v);
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
        Arrays.sort(a);
        float t = a[(int) Math.floor((1 - density) * a.length) - 1];
        floe = FloeExpert.of(e, t, vector);
        scratch = floe.newScratch();
        idx = new int[s.intermediate()];
        count = FloeExpert.mask(v, t, idx);
        for (int k = 0; k < count; k++) h[k] = (float) Math.sin(k); // coefficients for the down rows
        System.out.printf("%n%s: %d of %d channels active; dense kernels %s (%s); quant kernels %s (%s)%n", shape, count,
                s.intermediate(), denseKernels.name(), Kernels.reason(), vector.name(), Kernels.reason());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float gateDownDense() {
        int inter = g.length;
        Parallel.forRange(inter, 64, (a, b) -> denseKernels.matmul(dense.gate(), x, 1, g, a, b));
        for (int i = 0; i < inter; i++) g[i] = DenseExpert.silu(g[i]);
        Parallel.forRange(y.length, 64, (a, b) -> denseKernels.matmul(dense.down(), g, 1, y, a, b));
        return y[0];
    }

    @Benchmark
    public float gateDownGatheredVector() {
        return gateDownGathered(vector);
    }

    @Benchmark
    public float gateDownGatheredScalar() {
        return gateDownGathered(scalar);
    }

    private float gateDownGathered(QuantKernels k) {
        k.gatherRows(gate, idx, count, x, g);
        for (int i = 0; i < count; i++) g[i] = DenseExpert.silu(g[i]) * h[i];
        Arrays.fill(y, 0f);
        k.scatterRows(downT, idx, g, count, y);
        return y[0];
    }

    @Benchmark
    public float expertDense() {
        DenseExpert.forward(dense, x, y, denseKernels);
        return y[0];
    }

    @Benchmark
    public float expertFloe() {
        floe.forward(x, y, scratch);
        return y[0];
    }
}
