// Measures the machine's practical memory read bandwidth: one vectorised pass over a large off-heap array on all cores.
package io.strata.compression.kernel;

import io.strata.compression.HugePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

public final class StreamRead {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private StreamRead() {}

    /**
     * Best of reps passes over bytes (rounded to the vector size) of fresh memory, in bytes per second. The memory is
     * in 2 MiB pages where granted ({@link HugePages}), as the weights the engine holds in memory are: a bound read
     * in 4 KiB pages would be lower than what the engine's own reads can reach.
     */
    public static double bytesPerSecond(long bytes, int reps) {
        long size = bytes - bytes % (F.vectorByteSize() * 64L);
        try (Arena arena = Arena.ofShared()) {
            // every page is committed by the allocation (the arena zeroes its memory, HugePages touches each page), so
            // the timing sees no page faults
            MemorySegment seg = HugePages.allocate(arena, size, 4096);
            return bestOf(seg, reps);
        }
    }

    /**
     * The fastest of {@code passes} reads of the whole of {@code seg} (touched already), in bytes per second: every
     * disturbance only slows a pass down, so the fastest is the closest to what the memory can do.
     */
    public static double bestOf(MemorySegment seg, int passes) {
        double best = 0;
        for (int r = 0; r < passes; r++) {
            long t0 = System.nanoTime();
            float s = sum(seg);
            long dt = System.nanoTime() - t0;
            if (s == -1) throw new AssertionError(); // keeps the sum alive
            best = Math.max(best, seg.byteSize() / (dt / 1e9));
        }
        return best;
    }

    /**
     * Sum of the floats of seg in [from, end) (byte offsets, from a multiple of the vector size) on the calling
     * thread: the plain read that a kernel streaming the same bytes is measured against.
     */
    public static float sumRange(MemorySegment seg, long from, long end) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        long off = from;
        // two accumulators: two loads in flight per iteration
        for (; off + 2L * F.vectorByteSize() <= end; off += 2L * F.vectorByteSize()) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, off + F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
        }
        for (; off + F.vectorByteSize() <= end; off += F.vectorByteSize()) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN));
        }
        float[] lanes = new float[F.length()];
        a0.add(a1).intoArray(lanes, 0);
        return LaneSum.sum(lanes, 0); // fixed order: the same sum whatever the JIT's state
    }

    /** Sum of all floats of seg, split over {@link Parallel#threads()} threads. */
    public static float sum(MemorySegment seg) {
        int parts = Parallel.threads() * 4;
        long chunk = seg.byteSize() / parts / F.vectorByteSize() * F.vectorByteSize();
        float[] sums = new float[parts];
        Parallel.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) sums[p] = sumRange(seg, p * chunk, p == parts - 1 ? seg.byteSize() : (p + 1) * chunk);
        });
        float s = 0;
        for (float v : sums) s += v;
        return s;
    }
}
