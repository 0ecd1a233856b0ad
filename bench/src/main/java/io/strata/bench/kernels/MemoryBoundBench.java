// JMH: one-token matvec of each weight layout against the streaming-read bound, on a working set far beyond the last-level cache.
package io.strata.bench.kernels;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.StreamRead;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Fraction of the memory bound: each kernel's bytes per op over {@link #streamRead}'s, both on
 * working sets of {@link #workingSetBytes()} (4× the last-level cache read from sysfs, at least
 * 1 GiB), so neither is served from the cache. Rows are 2048 wide (an OLMoE up/gate projection)
 * and the row count fills the working set. Quantized weights are random bytes with valid f16
 * scales (the kernels' speed does not depend on the values; fitting a GiB would take minutes).
 * All kernel threads ({@code -Dstrata.threads}) split the rows.
 *
 * <p>{@code bench/results/memory-bound.md}: bytes/op = the matrix's bytes; ratio = stream ms / kernel
 * ms × kernel bytes / stream bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class MemoryBoundBench {
    static final int COLS = 2048;

    @Param({"bf16", "int8", "int4", "int2", "stream"})
    public String layout;

    private Arena arena;
    private Matrix dense;
    private QuantizedMatrix quant;
    private MemorySegment stream;
    private final DenseKernels denseKernels = Kernels.dense();
    private final QuantKernels quantKernels = Kernels.quant();
    private float[] x, y;

    /** 4× the last-level cache (sysfs index3, else index2), at least 1 GiB, in bytes. */
    static long workingSetBytes() {
        long llc = 0;
        for (String idx : new String[] {"index3", "index2"}) {
            try {
                String s = Files.readString(Path.of("/sys/devices/system/cpu/cpu0/cache/" + idx + "/size")).strip();
                long mult = s.endsWith("K") ? 1024 : s.endsWith("M") ? 1024 * 1024 : 1;
                llc = Long.parseLong(s.replaceAll("[KM]$", "")) * mult;
                break;
            } catch (Exception e) {
                // try the next level
            }
        }
        return Math.max(1L << 30, 4 * llc);
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        long bytes = workingSetBytes();
        x = new float[COLS];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < COLS; i++) x[i] = (float) r.nextGaussian();
        switch (layout) {
            case "stream" -> {
                stream = arena.allocate(bytes, 4096);
                stream.fill((byte) 1);
            }
            case "bf16" -> {
                int rows = (int) (bytes / (2L * COLS));
                MemorySegment m = arena.allocate((long) rows * COLS * 2, 4096);
                fillRandom(m, r, (short) 0x3c00); // bf16 values of magnitude ~0.0078
                dense = new Matrix("w", m, DType.BF16, rows, COLS);
                y = new float[rows];
            }
            default -> {
                QuantFormat f = new QuantFormat(Integer.parseInt(layout.substring(3)), 64);
                int rows = (int) (bytes / (QuantizedMatrix.byteSize(f, 1024, COLS) / 1024));
                MemorySegment m = arena.allocate(QuantizedMatrix.byteSize(f, rows, COLS), 4096);
                fillRandom(m, r, (short) 0);
                quant = QuantizedMatrix.view("w", f, rows, COLS, m);
                RandomQuantized.validParams(quant); // valid f16 scales and zeros over the random bytes
                y = new float[rows];
            }
        }
        System.out.printf("%n%s: working set %d MiB (4x LLC, >= 1 GiB), %d kernel threads, dense %s, quant %s%n", layout,
                bytes >> 20, Parallel.threads(), denseKernels.name(), quantKernels.name());
    }

    /** Random longs; with {@code mask != 0} every 16-bit lane gets bf16 exponent bits so no value is NaN/huge. */
    private static void fillRandom(MemorySegment m, SplittableRandom r, short mask) {
        long n = m.byteSize() / 8;
        long hi = mask == 0 ? 0 : ((long) mask & 0xFFFF) * 0x0001_0001_0001_0001L;
        long keep = mask == 0 ? -1L : 0x807F_807F_807F_807FL; // sign and mantissa of each bf16
        for (long i = 0; i < n; i++) m.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, (r.nextLong() & keep) | hi);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float matvec() {
        switch (layout) {
            case "stream" -> {
                return StreamRead.sum(stream);
            }
            case "bf16" -> Parallel.forRange(dense.rows(), 64, (a, b) -> denseKernels.matmul(dense, x, 1, y, a, b));
            default -> quantKernels.matvec(quant, x, y);
        }
        return y[7];
    }
}
