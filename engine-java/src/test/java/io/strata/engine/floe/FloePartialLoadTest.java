// Partial loads: an expert in a lower tier (a mapped file region) copies exactly its masked gate/down rows, coalesced.
package io.strata.engine.floe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.PartLayout;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FloePartialLoadTest {
    static final int H = 128, I = 96; // hidden, intermediate

    @Test
    void copiesExactlyTheMaskedRowsFromAFileRegionAndFillsInLater(@TempDir Path tmp) throws IOException {
        Random rnd = new Random(11);
        ExpertWeights w = new ExpertWeights(bf16("gate", rnd, I, H), bf16("up", rnd, I, H), bf16("down", rnd, H, I));
        try (Arena arena = Arena.ofShared()) {
            // the lower tier: the encoded blob written to a file at a page-aligned offset and mapped back
            EncodedExpert enc = ExpertCodecs.byName("floe-bf16up").encode(w, arena);
            Path file = tmp.resolve("experts.bin");
            long at = 8192;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(enc.blob().asByteBuffer(), at);
            }
            MemorySegment region;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                region = ch.map(FileChannel.MapMode.READ_ONLY, at, enc.blob().byteSize(), arena);
            }
            EncodedExpert lower = new EncodedExpert(enc.params(), region);

            float[] x1 = gaussian(rnd, H), x2 = gaussian(rnd, H);
            double[] v1 = upReference(w, x1), v2 = upReference(w, x2);
            float t = midQuantile(v1, 0.7);
            boolean[] m1 = mask(v1, t), m2 = mask(v2, t);

            TransferStats stats = new TransferStats();
            RowResidentExpert x = new RowResidentExpert("file expert", lower, t, Kernels.quant(), stats, arena, false);
            float[] y = new float[H];
            int active = x.forward(x1, 1, y);

            // first miss: exactly the rows of mask 1, one copy per part per run of adjacent channels
            assertEquals(count(m1), active);
            assertEquals(count(m1) * 4L * H, stats.snapshot().bytesMoved(), "bytes moved = |mask| · (gate row + downT row)");
            assertEquals(2L * runs(m1), stats.snapshot().reads(), "one gate and one downT copy per run of adjacent channels");
            checkRows(x, lower, m1);
            assertTrue(FloeTestModels.relErr(sparseReference(w, x1, m1, v1), y) < 1e-5, "sparse output");

            // second token: only the channels mask 1 did not bring
            boolean[] added = new boolean[I], union = new boolean[I];
            for (int i = 0; i < I; i++) {
                added[i] = m2[i] && !m1[i];
                union[i] = m1[i] || m2[i];
            }
            stats.reset();
            x.forward(x2, 1, y);
            assertEquals(count(added) * 4L * H, stats.snapshot().bytesMoved(), "fill-in copies only the missing rows");
            assertEquals(2L * runs(added), stats.snapshot().reads());
            checkRows(x, lower, union);
            assertTrue(FloeTestModels.relErr(sparseReference(w, x2, m2, v2), y) < 1e-5, "sparse output of token 2");

            // both tokens again, batched: nothing left to move
            stats.reset();
            float[] xx = new float[2 * H], yy = new float[2 * H];
            System.arraycopy(x1, 0, xx, 0, H);
            System.arraycopy(x2, 0, xx, H, H);
            x.forward(xx, 2, yy);
            assertEquals(0, stats.snapshot().bytesMoved());
            assertEquals(2, stats.snapshot().activations());
        }
    }

    @Test
    void adjacentChannelsCoalesceIntoOneCopyPerPart() {
        Random rnd = new Random(3);
        ExpertWeights w = new ExpertWeights(bf16("gate", rnd, I, H), bf16("up", rnd, I, H), bf16("down", rnd, H, I));
        try (Arena arena = Arena.ofShared()) {
            EncodedExpert lower = ExpertCodecs.byName("floe").encode(w, arena);
            TransferStats stats = new TransferStats();
            RowResidentExpert x = new RowResidentExpert("e", lower, 0f, Kernels.quant(), stats, arena, false);
            int[] channels = {40, 5, 6, 7, 41, 90}; // runs {5..7}, {40, 41}, {90}
            long bytes = x.ensureRows(channels, channels.length);
            assertEquals(6 * 4L * H, bytes);
            assertEquals(6, stats.snapshot().reads());
            assertEquals(0, x.ensureRows(channels, channels.length), "already resident");
            boolean[] want = new boolean[I];
            for (int c : channels) want[c] = true;
            checkRows(x, lower, want);
            x.evict();
            assertEquals(0, x.residentRows());
        }
    }

    /** Resident rows equal the lower tier's bytes; the others are still zero in the fast tier. */
    static void checkRows(RowResidentExpert x, EncodedExpert lower, boolean[] resident) {
        for (String part : new String[] {"gate", "downT"}) {
            PartLayout p = lower.params().part(part);
            for (int i = 0; i < I; i++) {
                byte[] want = lower.blob().asSlice(p.rowOffset(i), p.rowBytes()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                byte[] got = x.fast().blob().asSlice(p.rowOffset(i), p.rowBytes()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                assertEquals(resident[i], x.isResident(i), part + " row " + i + " residency");
                if (resident[i]) assertArrayEquals(want, got, part + " row " + i);
                else assertArrayEquals(new byte[want.length], got, part + " row " + i + " must not have been copied");
            }
        }
    }

    static Matrix bf16(String name, Random rnd, int rows, int cols) {
        MemorySegment s = Arena.ofAuto().allocate(2L * rows * cols, 64);
        for (long k = 0; k < (long) rows * cols; k++) s.setAtIndex(Layouts.I16, k, Halfs.floatToBf16((float) rnd.nextGaussian() * 0.1f));
        return new Matrix(name, s, DType.BF16, rows, cols);
    }

    static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    static double[] upReference(ExpertWeights w, float[] x) {
        double[] v = new double[I];
        for (int i = 0; i < I; i++) for (int c = 0; c < H; c++) v[i] += (double) w.up().get(i, c) * x[c];
        return v;
    }

    /** A threshold halfway between the q-quantile of |v| and the next value (far from any |v_i|). */
    static float midQuantile(double[] v, double q) {
        double[] a = Arrays.stream(v).map(Math::abs).sorted().toArray();
        int k = (int) (q * a.length);
        return (float) ((a[k] + a[k + 1]) / 2);
    }

    static boolean[] mask(double[] v, float t) {
        boolean[] m = new boolean[v.length];
        for (int i = 0; i < v.length; i++) m[i] = Math.abs(v[i]) > t;
        return m;
    }

    static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) if (b) n++;
        return n;
    }

    static int runs(boolean[] m) {
        int r = 0;
        for (int i = 0; i < m.length; i++) if (m[i] && (i == 0 || !m[i - 1])) r++;
        return r;
    }

    /** y = Σ_{i∈mask} SiLU(gate_i·x) · v_i · down[:, i], in doubles from the original weights. */
    static float[] sparseReference(ExpertWeights w, float[] x, boolean[] m, double[] v) {
        double[] acc = new double[H];
        for (int i = 0; i < I; i++) {
            if (!m[i]) continue;
            double g = 0;
            for (int c = 0; c < H; c++) g += (double) w.gate().get(i, c) * x[c];
            double h = DenseExpert.silu((float) g) * v[i];
            for (int r = 0; r < H; r++) acc[r] += h * w.down().get(r, i);
        }
        float[] y = new float[H];
        for (int r = 0; r < H; r++) y[r] = (float) acc[r];
        return y;
    }
}
