// Three ways to write the int4 one-token inner loop with the Vector API, timed side by side on one thread.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Whether the int4 one-token kernel can run faster with another formulation of its inner loop, the question behind the
 * int4 decode goal. Rows of 2048 int4 codes in the store's lane order, g64; per row one dot product with x, one thread,
 * giga multiply-adds per second (wall clock; the formulations alternate within each round, so drift hits all three):
 * <ul>
 *   <li><b>float</b>: the kernel's formulation ({@code VectorQuantKernels.rowDotInt4}): per 16 codes a shift, a mask,
 *       an int→float conversion and an fma, the group scale per lane once per 128 codes;</li>
 *   <li><b>magic</b>: the conversion without {@code cvtdq2ps}: the masked code is or-ed into the mantissa of 2^23 and
 *       2^23 subtracted (exact), x pre-scaled by 16^-k for the code's nibble position k, which leaves every product
 *       and so every bit of the result as in <b>float</b> (checked);</li>
 *   <li><b>int16</b>: the integer route that llama.cpp takes with {@code vpdpbusd}, as far as the Vector API reaches:
 *       x quantized to int8 per group of 64, codes widened to 16 bits, products summed in 16-bit lanes and folded to
 *       32 bits, one float fma per group. Different bits (x is rounded), so it is timed only: the Vector API has no
 *       dot-product-accumulate, so the widening and folding cost what the integer products save;</li>
 *   <li><b>kernel</b>: the shipped one-token matmul ({@code Kernels.quant()}, one thread) over an int4-g64 matrix of
 *       the same shape: the inner loop above plus each row's own work (its f16 scales and zeros, the lane-scale
 *       table, the zero-point terms, the fixed-order lane sum).</li>
 * </ul>
 *
 * <pre>java --add-modules jdk.incubator.vector -cp "bench/target/classes:bench/target/lib/*" \
 *   io.strata.bench.kernels.Int4FormulationsMain [--rows N[,N..]] [--rounds R] [--json F]</pre>
 * Default rows: 128 (256 KiB of codes, L2) and 600000 (1.2 GB, beyond a 300 MiB L3).
 */
public final class Int4FormulationsMain {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    static final int L = 16, COLS = 2048;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final float MAGIC = 8388608f; // 2^23
    private static volatile float sink;

    private Int4FormulationsMain() {}

    public static void main(String[] args) throws Exception {
        int[] rowsList = {128, 600_000};
        int rounds = 15;
        String json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rowsList = Arrays.stream(args[++i].split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--json" -> json = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--rows N[,N..], --rounds R, --json FILE)");
            }
        }
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512) {
            System.out.println("this trial is written for 512-bit vectors; the preferred species here is "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, results would not describe the kernel");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("what", "int4 g64 one-token row dots, 2048 columns, one thread: G multiply-adds/s per formulation");
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cpus, " + System.getProperty("os.arch"));
        result.put("date", Instant.now().toString());
        result.put("command", "java --add-modules jdk.incubator.vector -cp \"bench/target/classes:bench/target/lib/*\" "
                + "io.strata.bench.kernels.Int4FormulationsMain " + String.join(" ", args));
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int rows : rowsList) runs.add(measure(rows, rounds));
        result.put("runs", runs);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(json), result);
            System.out.println("wrote " + json);
        }
    }

    private static Map<String, Object> measure(int rows, int rounds) {
        long rowBytes = COLS / 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(rows * rowBytes, 4096);
            SplittableRandom rnd = new SplittableRandom(rows);
            for (long i = 0; i < seg.byteSize() / 8; i++) seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
            float[] xp = new float[COLS], xs = new float[COLS];
            for (int i = 0; i < COLS; i++) xp[i] = (float) rnd.nextGaussian();
            int[] shift = {0, 4, 8, 12, 16, 8, 12, 16}; // the nibble position each code has where magic reads it
            for (int c0 = 0; c0 < COLS; c0 += 8 * L) {
                for (int k = 0; k < 8; k++) {
                    for (int i = 0; i < L; i++) xs[c0 + k * L + i] = Math.scalb(xp[c0 + k * L + i], -shift[k]);
                }
            }
            float[] laneScale = new float[COLS / 8];
            for (int j = 0; j < laneScale.length; j++) laneScale[j] = 0.01f * (1 + (j / 8) % 5);
            short[] xe = new short[COLS / 2], xo = new short[COLS / 2];
            for (int i = 0; i < COLS / 2; i++) {
                xe[i] = (short) (rnd.nextInt(255) - 127);
                xo[i] = (short) (rnd.nextInt(255) - 127);
            }
            float[] groupScale = new float[COLS / 64];
            Arrays.fill(groupScale, 1e-3f);
            float[] lanes = new float[L];
            // the same bits: magic against float, every row
            for (int r = 0; r < Math.min(rows, 256); r++) {
                float a = rowFloat(seg, r * rowBytes, xp, laneScale, lanes), b = rowMagic(seg, r * rowBytes, xs, laneScale, lanes);
                if (Float.floatToRawIntBits(a) != Float.floatToRawIntBits(b)) {
                    throw new IllegalStateException("magic formulation differs from float at row " + r + ": " + a + " vs " + b);
                }
            }
            QuantFormat f = new QuantFormat(4, 64);
            QuantizedMatrix q = RandomQuantized.matrix(arena, f, rows, COLS, rnd);
            QuantKernels kernel = Kernels.quant();
            float[] out = new float[rows];
            int reps = Math.max(1, (int) (40_000_000L / ((long) rows * COLS)));
            double[][] g = new double[4][rounds];
            for (int round = -2; round < rounds; round++) { // two rounds of warm-up
                for (int v = 0; v < 4; v++) {
                    float s = 0;
                    long t0 = System.nanoTime();
                    if (v == 3) {
                        for (int rep = 0; rep < reps; rep++) kernel.matmul(q, xp, 1, out, 0, rows);
                        s = out[0];
                    }
                    for (int rep = 0; rep < (v == 3 ? 0 : reps); rep++) {
                        for (int r = 0; r < rows; r++) {
                            long base = r * rowBytes;
                            s += switch (v) {
                                case 0 -> rowFloat(seg, base, xp, laneScale, lanes);
                                case 1 -> rowMagic(seg, base, xs, laneScale, lanes);
                                default -> rowInt16(seg, base, xe, xo, groupScale, lanes);
                            };
                        }
                    }
                    long ns = System.nanoTime() - t0;
                    sink = s;
                    if (round >= 0) g[v][round] = (double) reps * rows * COLS / ns;
                }
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("rows", rows);
            row.put("codes_mib", rows * rowBytes >> 20);
            String[] names = {"float", "magic", "int16", "kernel"};
            double[] magicOverFloat = new double[rounds], int16OverFloat = new double[rounds], kernelOverFloat = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                magicOverFloat[r] = g[1][r] / g[0][r];
                int16OverFloat[r] = g[2][r] / g[0][r];
                kernelOverFloat[r] = g[3][r] / g[0][r];
            }
            for (int v = 0; v < 4; v++) {
                row.put(names[v] + "_gmac_per_s_median", PairedCpuTimeMain.median(g[v]));
                row.put(names[v] + "_gmac_per_s_per_round", g[v]);
            }
            row.put("magic_over_float_median", PairedCpuTimeMain.median(magicOverFloat));
            row.put("magic_over_float_p25", PairedCpuTimeMain.quantile(magicOverFloat, 0.25));
            row.put("magic_over_float_p75", PairedCpuTimeMain.quantile(magicOverFloat, 0.75));
            row.put("int16_over_float_median", PairedCpuTimeMain.median(int16OverFloat));
            row.put("int16_over_float_p25", PairedCpuTimeMain.quantile(int16OverFloat, 0.25));
            row.put("int16_over_float_p75", PairedCpuTimeMain.quantile(int16OverFloat, 0.75));
            row.put("kernel_over_float_median", PairedCpuTimeMain.median(kernelOverFloat));
            row.put("kernel_over_float_p25", PairedCpuTimeMain.quantile(kernelOverFloat, 0.25));
            row.put("kernel_over_float_p75", PairedCpuTimeMain.quantile(kernelOverFloat, 0.75));
            System.out.printf("rows %d (%d MiB of codes): float %.2f, magic %.2f, int16 %.2f, kernel %.2f G MAC/s; magic/float %.2f [%.2f, %.2f], int16/float %.2f [%.2f, %.2f], kernel/float %.2f%n",
                    rows, rows * rowBytes >> 20, PairedCpuTimeMain.median(g[0]), PairedCpuTimeMain.median(g[1]), PairedCpuTimeMain.median(g[2]),
                    PairedCpuTimeMain.median(g[3]),
                    PairedCpuTimeMain.median(magicOverFloat), PairedCpuTimeMain.quantile(magicOverFloat, 0.25), PairedCpuTimeMain.quantile(magicOverFloat, 0.75),
                    PairedCpuTimeMain.median(int16OverFloat), PairedCpuTimeMain.quantile(int16OverFloat, 0.25), PairedCpuTimeMain.quantile(int16OverFloat, 0.75),
                    PairedCpuTimeMain.median(kernelOverFloat));
            return row;
        }
    }

    /** The stored accumulator's lanes in order (each row dot stores its own: a vector argument could be boxed). */
    private static float laneSum(float[] lanes) {
        float y = 0;
        for (int i = 0; i < L; i++) y += lanes[i];
        return y;
    }

    /** As VectorQuantKernels.rowDotInt4 without the zero-point terms (which every formulation shares). */
    static float rowFloat(MemorySegment seg, long base, float[] xp, float[] laneScale, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < COLS; c += 8 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
            FloatVector a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(15).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, c));
            FloatVector a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, c + L));
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 2 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 3 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 4 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 5 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 6 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, c + 7 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return laneSum(lanes);
    }

    /** Codes 0-4 of each lane read in place, 5-7 after one shift by 12; (2^23 | m) − 2^23 = m exactly. */
    static float rowMagic(MemorySegment seg, long base, float[] xs, float[] laneScale, float[] lanes) {
        FloatVector acc = FloatVector.zero(F), m = FloatVector.broadcast(F, MAGIC);
        for (int c = 0, j = 0; c < COLS; c += 8 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
            IntVector h = p.lanewise(VectorOperators.LSHR, 12);
            FloatVector a0 = p.and(0xF).or(0x4B000000).reinterpretAsFloats().sub(m).mul(FloatVector.fromArray(F, xs, c));
            FloatVector a1 = p.and(0xF0).or(0x4B000000).reinterpretAsFloats().sub(m).mul(FloatVector.fromArray(F, xs, c + L));
            a0 = p.and(0xF00).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 2 * L), a0);
            a1 = p.and(0xF000).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 3 * L), a1);
            a0 = p.and(0xF0000).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 4 * L), a0);
            a1 = h.and(0xF00).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 5 * L), a1);
            a0 = h.and(0xF000).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 6 * L), a0);
            a1 = h.and(0xF0000).or(0x4B000000).reinterpretAsFloats().sub(m).fma(FloatVector.fromArray(F, xs, c + 7 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return laneSum(lanes);
    }

    /**
     * One g64 group per step: 32 bytes widened to 32 shorts, low nibbles (even columns) times xe, high nibbles (odd)
     * times xo, the two products added in 16 bits (|q·x| ≤ 15·127), the 16-bit pairs folded into 16 ints, one fma.
     */
    static float rowInt16(MemorySegment seg, long base, short[] xe, short[] xo, float[] groupScale, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, g = 0; c < COLS; c += 64, g++) {
            ByteVector b = ByteVector.fromMemorySegment(B, seg, base + c / 2, LE);
            ShortVector s = (ShortVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            int h = c / 2;
            ShortVector p = s.and((short) 15).mul(ShortVector.fromArray(S, xe, h))
                    .add(s.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xo, h)));
            IntVector pi = p.reinterpretAsInts();
            IntVector sum = pi.lanewise(VectorOperators.ASHR, 16).add(pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, groupScale[g]), acc);
        }
        acc.intoArray(lanes, 0);
        return laneSum(lanes);
    }
}
