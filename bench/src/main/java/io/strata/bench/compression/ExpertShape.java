// Expert shapes of real MoE checkpoints and seeded random bf16 weights of those shapes, for the compression benchmarks.
package io.strata.bench.compression;

import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.codec.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@code hidden} H and {@code intermediate} I of one expert FFN. */
public record ExpertShape(String name, int hidden, int intermediate) {
    public static final ExpertShape OLMOE = new ExpertShape("olmoe", 2048, 1024);
    public static final ExpertShape MIXTRAL = new ExpertShape("mixtral", 4096, 14336);

    public static ExpertShape byName(String name) {
        return switch (name) {
            case "olmoe" -> OLMOE;
            case "mixtral" -> MIXTRAL;
            default -> throw new IllegalArgumentException("unknown expert shape '" + name + "' (olmoe, mixtral)");
        };
    }

    /** Random bf16 expert: gate, up {@code [I, H]}, down {@code [H, I]}, values ~ U(−0.05, 0.05). */
    public ExpertWeights randomExpert(Arena arena, long seed) {
        return new ExpertWeights(random("gate", intermediate, hidden, arena, seed), random("up", intermediate, hidden, arena, seed + 1),
                random("down", hidden, intermediate, arena, seed + 2));
    }

    /**
     * A {@code [rows, cols]} bf16 matrix of uniform values from a 64-bit LCG: java.util.Random
     * would take seconds per Mixtral matrix, and the values only need to be non-degenerate.
     */
    public static Matrix random(String name, int rows, int cols, Arena arena, long seed) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * 2, 4096);
        long s = seed * 0x9E3779B97F4A7C15L + 1;
        for (long i = 0; i < n; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            float u = ((s >>> 40) / (float) (1 << 24) - 0.5f) * 0.1f;
            seg.setAtIndex(Layouts.I16, i, (short) (Float.floatToRawIntBits(u) >>> 16)); // truncation is fine for noise
        }
        return new Matrix(name, seg, DType.BF16, rows, cols);
    }

    /** A random activation of length n, values ~ N(0, 1). */
    public static float[] randomVector(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
