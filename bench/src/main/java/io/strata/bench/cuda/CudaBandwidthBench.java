// GPU bandwidth benchmark: device memory (D2D copy), pinned host-to-device copies, the dense and
// quantized matrix-vector kernels' achieved bandwidth, and expert-sized H2D copies.
// Usage: java ... io.strata.bench.cuda.CudaBandwidthBench [--json FILE] [--quick] [--tiny]
// (--tiny shrinks every size 64-fold: a smoke test of the code path, e.g. on the host emulator).
package io.strata.bench.cuda;

import io.strata.compression.DType;
import io.strata.kernels.cuda.CudaContext;
import io.strata.kernels.cuda.CudaEvent;
import io.strata.kernels.cuda.CudaKernels;
import io.strata.kernels.cuda.CudaStream;
import io.strata.kernels.cuda.DeviceBuffer;
import io.strata.kernels.cuda.DeviceMatrix;
import io.strata.kernels.cuda.PinnedBuffer;
import io.strata.kernels.cuda.QuantMatrix;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Every number is the median over many samples, each timed with CUDA events around a batch of
 * identical operations (so launch gaps and event resolution barely count). Matrix-vector weights
 * rotate over {@link #WEIGHT_SETS} buffers (≈ 0.9 GiB) so L2 (50 MiB on H100) cannot serve them.
 */
public final class CudaBandwidthBench {
    static final int WEIGHT_SETS = 8;

    record Row(String name, String shape, double bytes, double medianMs, double gbPerS, String reference, double percent) {}

    private final CudaContext ctx;
    private final CudaStream stream;
    private final int samples;
    private final int shrink;  // every size divided by this (1, or 64 with --tiny)
    private final List<Row> rows = new ArrayList<>();

    CudaBandwidthBench(CudaContext ctx, boolean quick, boolean tiny) {
        this.ctx = ctx;
        this.stream = ctx.newStream();
        this.samples = tiny ? 1 : quick ? 5 : 21;
        this.shrink = tiny ? 64 : 1;
    }

    interface Op {
        void run(int i);
    }

    /** Median milliseconds of one op: samples × (batch ops between two events), after warm-up. */
    double time(int batch, Op op) {
        if (shrink > 1) batch = 1;  // smoke test: the path, not the numbers
        try (CudaEvent a = ctx.newEvent(true); CudaEvent b = ctx.newEvent(true)) {
            for (int i = 0; i < batch * 2; i++) op.run(i);  // warm-up: module load, clocks, TLBs
            stream.synchronize();
            double[] ms = new double[samples];
            int k = 0;
            for (int s = 0; s < samples; s++) {
                a.record(stream);
                for (int i = 0; i < batch; i++) op.run(k++);
                b.record(stream);
                b.synchronize();
                ms[s] = b.elapsedMillisSince(a) / batch;
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        }
    }

    Row add(String name, String shape, double bytes, double ms, String reference, double referenceGbPerS) {
        double gbs = bytes / (ms * 1e6);
        Row r = new Row(name, shape, bytes, ms, gbs, reference, referenceGbPerS > 0 ? 100 * gbs / referenceGbPerS : Double.NaN);
        rows.add(r);
        System.out.printf(Locale.ROOT, "  %-34s %-22s %9.3f ms %9.1f GB/s%s%n", name, shape, ms, gbs,
                Double.isNaN(r.percent) ? "" : String.format(Locale.ROOT, "  %5.1f%% of %s", r.percent, reference));
        return r;
    }

    void run() {
        System.out.println("device: " + ctx.describe());
        // 1. device memory bandwidth: D2D copy of 1 GiB, bytes read + written
        long big = (1L << 30) / shrink;
        double dram;
        try (DeviceBuffer a = ctx.alloc(big, "d2d-src"); DeviceBuffer b = ctx.alloc(big, "d2d-dst")) {
            a.zeroAsync(stream);
            double ms = time(4, i -> b.copyFromDeviceAsync(a, 0, 0, big, stream));
            dram = add("device D2D copy (read+write)", (big >> 20) + " MiB", 2.0 * big, ms, "", 0).gbPerS;
        }
        // 2. pinned host-to-device bandwidth: 1 GiB slab
        double pinned;
        try (PinnedBuffer h = ctx.allocPinned(big); DeviceBuffer d = ctx.alloc(big, "h2d-dst")) {
            fillRandom(h.segment());
            double ms = time(2, i -> d.copyFromHostAsync(h.segment(), 0, stream));
            pinned = add("pinned H2D", (big >> 20) + " MiB", big, ms, "", 0).gbPerS;
            double ms2 = time(2, i -> d.copyToHostAsync(0, h.segment(), stream));
            add("pinned D2H", (big >> 20) + " MiB", big, ms2, "", 0);
        }
        // 3. matrix-vector kernels, weights rotated over WEIGHT_SETS buffers
        CudaKernels k = ctx.kernels();
        int a = 4096 / (shrink == 1 ? 1 : 16), b = 14336 / (shrink == 1 ? 1 : 4);  // tiny: 256 x 3584
        int[][] shapes = {{a, b}, {b, a}};
        long wBytes = (long) a * b * 2;
        DeviceBuffer[] w = new DeviceBuffer[WEIGHT_SETS];
        try (PinnedBuffer h = ctx.allocPinned(wBytes)) {
            fillBf16(h.segment(), new Random(1));
            for (int i = 0; i < WEIGHT_SETS; i++) {
                w[i] = ctx.alloc(wBytes, "w" + i);
                w[i].copyFromHostAsync(h.segment(), 0, stream);
            }
            stream.synchronize();
        }
        try (DeviceBuffer x = ctx.alloc(4L * 8 * b, "x"); DeviceBuffer out = ctx.alloc(4L * 8 * b, "out")) {
            float[] xs = new float[8 * b];
            Random rnd = new Random(2);
            for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
            x.upload(xs);
            for (int[] sh : shapes) {
                int rowsN = sh[0], cols = sh[1];
                DeviceMatrix[] m = new DeviceMatrix[WEIGHT_SETS];
                for (int i = 0; i < WEIGHT_SETS; i++) m[i] = new DeviceMatrix("w" + i, w[i], DType.BF16, rowsN, cols);
                for (int n : new int[] {1, 8}) {
                    double ms = time(WEIGHT_SETS * 2, i -> k.matmul(stream, m[i % WEIGHT_SETS], x, out, n, false));
                    double bytes = wBytes + 4.0 * n * (cols + rowsN);
                    add("matvec bf16 n=" + n, rowsN + "x" + cols, bytes, ms, "D2D", dram);
                }
            }
            // INT4 / INT2 fused dequantize over the same bytes reinterpreted (values do not matter for timing)
            for (int bits : new int[] {4, 2}) {
                int rowsN = b, cols = a;
                long qBytes = (long) rowsN * cols * bits / 8, sBytes = (long) rowsN * (cols / 64) * 2;
                QuantMatrix[] q = new QuantMatrix[WEIGHT_SETS];
                for (int i = 0; i < WEIGHT_SETS; i++) {
                    q[i] = new QuantMatrix("q" + i, w[i].slice(0, qBytes), w[i].slice(qBytes, sBytes), w[i].slice(qBytes + sBytes, sBytes),
                            bits, rowsN, cols);
                }
                double ms = time(WEIGHT_SETS * 2, i -> k.matmulQuant(stream, q[i % WEIGHT_SETS], null, rowsN, x, out, 1, false));
                add("matvec q" + bits + " n=1", rowsN + "x" + cols, qBytes + 2.0 * sBytes + 4.0 * (cols + rowsN), ms, "D2D", dram);
            }
        } finally {
            for (DeviceBuffer buf : w) if (buf != null) buf.close();
        }
        // 4. expert-sized H2D copies from pinned memory (gate + up + down, bf16)
        long[][] experts = {{3, 4096L * 14336 * 2 / shrink}, {3, 2048L * 1024 * 2 / shrink}};
        String[] names = {"Mixtral-8x7B expert", "OLMoE expert"};
        for (int e = 0; e < experts.length; e++) {
            long one = experts[e][1], total = experts[e][0] * one;
            try (PinnedBuffer h = ctx.allocPinned(total); DeviceBuffer d = ctx.alloc(total, "expert")) {
                fillRandom(h.segment());
                double ms = time(e == 0 ? 2 : 16, i -> {
                    for (int j = 0; j < 3; j++) d.slice(j * one, one).copyFromHostAsync(h.segment().asSlice(j * one, one), 0, stream);
                });
                add("H2D " + names[e], "3 x " + (one >> 10) + " KiB", total, ms, "pinned H2D", pinned);
            }
        }
        stream.close();
    }

    static void fillRandom(MemorySegment s) {
        Random r = new Random(3);
        long n = s.byteSize() / 8;
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
    }

    static void fillBf16(MemorySegment s, Random r) {
        long n = s.byteSize() / 2;
        for (long i = 0; i < n; i++) {
            // bf16 of a value in ±[0.5, 1): sign, exponent 126, random mantissa; never zero or NaN
            short bits = (short) ((r.nextBoolean() ? 0x8000 : 0) | (126 << 7) | r.nextInt(128));
            s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, bits);
        }
    }

    String json() {
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"device\": \"").append(ctx.describe().replace("\"", "'")).append("\",\n  \"results\": [\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(String.format(Locale.ROOT,
                    "    {\"name\": \"%s\", \"shape\": \"%s\", \"bytes\": %.0f, \"median_ms\": %.5f, \"gb_per_s\": %.2f, \"reference\": \"%s\", \"percent_of_reference\": %s}%s%n",
                    r.name, r.shape, r.bytes, r.medianMs, r.gbPerS, r.reference, Double.isNaN(r.percent) ? "null" : String.format(Locale.ROOT, "%.1f", r.percent),
                    i + 1 < rows.size() ? "," : ""));
        }
        return b.append("  ]\n}\n").toString();
    }

    public static void main(String[] args) throws IOException {
        Path json = null;
        boolean quick = false, tiny = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = Path.of(args[++i]);
                case "--quick" -> quick = true;
                case "--tiny" -> tiny = true;
                default -> {
                    System.err.println("usage: CudaBandwidthBench [--json FILE] [--quick] [--tiny]; unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        CudaContext ctx = CudaContext.shared();  // throws "CUDA backend unavailable: ..." without a GPU
        CudaBandwidthBench bench = new CudaBandwidthBench(ctx, quick, tiny);
        bench.run();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %-22s %10s %10s %s%n", "benchmark", "shape", "ms", "GB/s", "% of reference");
        for (Row r : bench.rows) {
            System.out.printf(Locale.ROOT, "%-34s %-22s %10.3f %10.1f %s%n", r.name, r.shape, r.medianMs, r.gbPerS,
                    Double.isNaN(r.percent) ? "" : String.format(Locale.ROOT, "%.1f%% of %s", r.percent, r.reference));
        }
        if (json != null) {
            if (json.getParent() != null) Files.createDirectories(json.getParent());
            Files.writeString(json, bench.json());
            System.out.println("wrote " + json);
        }
    }
}
