// SSD read throughput of the expert loader against `dd iflag=direct` on the same file, in the same run.
package io.strata.bench.tiering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.DType;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.host.ByteSize;
import io.strata.tiering.loader.BlobReader;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import io.strata.tiering.store.StoreWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packs a one-layer store of {@code --experts} experts (F32 gate/up/down of {@code (inter, hidden)}) into a
 * directory (~1.4 GiB by default), then measures, {@code --repeats} times each, interleaved:
 * <ul>
 * <li>{@code dd}: {@code dd if=experts-000.bin of=/dev/null bs=REGION iflag=direct} (GNU dd's own rate);</li>
 * <li>{@code blobreader}: {@link BlobReader} with O_DIRECT, one thread, every expert region in file order into
 *     one aligned buffer (the loader's read path, no CRC);</li>
 * <li>{@code store}: a {@link TieredExpertStore} (host budget of 8 slots, 2 loader threads, CRC-verified)
 *     acquiring every expert in order while prefetching the next 4 — the path the engine uses.</li>
 * </ul>
 * Direct I/O bypasses the page cache for all three, so no cache dropping is needed between runs.
 * Usage: {@code LoaderReadBench [--dir DIR] [--experts 160] [--hidden 1024] [--inter 704] [--repeats 3] [--json FILE]}
 */
public final class LoaderReadBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "strata-loader-bench");
        int experts = 160, hidden = 1024, inter = 704, repeats = 3;
        Path json = null;
        String machine = "unspecified";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--experts" -> experts = Integer.parseInt(args[++i]);
                case "--hidden" -> hidden = Integer.parseInt(args[++i]);
                case "--inter" -> inter = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--machine" -> machine = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path store = dir.resolve("store");
        if (!Files.exists(store.resolve(StoreWriter.MANIFEST))) {
            pack(store, experts, hidden, inter);
        }
        ObjectNode out = new ObjectMapper().createObjectNode();
        out.put("benchmark", "loader-read").put("machine", machine).put("store", store.toString());
        try (PackedStore ps = PackedStore.open(store)) {
            Path file = ps.file(ps.expert(0, 0));
            long region = ps.maxExpertBytes();
            long total = (long) ps.numExperts() * region;
            out.put("experts", ps.numExperts()).put("region_bytes", region).put("file_bytes", Files.size(file));
            System.out.printf(Locale.ROOT, "file %s: %s, %d expert regions of %s%n", file, ByteSize.format(Files.size(file)),
                    ps.numExperts(), ByteSize.format(region));
            List<Double> dd = new ArrayList<>(), reader = new ArrayList<>(), tiered = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                dd.add(dd(file, region));
                reader.add(blobReader(ps, region, total));
                tiered.add(tieredStore(ps, total));
                System.out.printf(Locale.ROOT, "repeat %d: dd %.1f MiB/s, blobreader %.1f MiB/s, store %.1f MiB/s%n", r,
                        dd.getLast() / (1 << 20), reader.getLast() / (1 << 20), tiered.getLast() / (1 << 20));
            }
            double ddM = median(dd), rdM = median(reader), stM = median(tiered);
            System.out.printf(Locale.ROOT, "median: dd %.1f MiB/s, blobreader %.1f MiB/s (%.2f x dd), store %.1f MiB/s (%.2f x dd)%n",
                    ddM / (1 << 20), rdM / (1 << 20), rdM / ddM, stM / (1 << 20), stM / ddM);
            ObjectNode res = out.putObject("results_bytes_per_s");
            put(res.putArray("dd_direct"), dd);
            put(res.putArray("blobreader_direct"), reader);
            put(res.putArray("tiered_store"), tiered);
            out.put("median_dd_mib_s", ddM / (1 << 20)).put("median_blobreader_mib_s", rdM / (1 << 20))
                    .put("median_store_mib_s", stM / (1 << 20)).put("ratio_blobreader_vs_dd", rdM / ddM)
                    .put("ratio_store_vs_dd", stM / ddM);
        }
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), out);
        }
    }

    private static void put(ArrayNode a, List<Double> v) {
        v.forEach(a::add);
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }

    private static void pack(Path store, int experts, int hidden, int inter) {
        System.out.printf(Locale.ROOT, "packing %d experts of 3 x (%d, %d) F32 into %s%n", experts, inter, hidden, store);
        try (Arena a = Arena.ofConfined();
             StoreWriter w = StoreWriter.create(store, new ObjectMapper().createObjectNode().put("model_type", "bench"), "dense", 1,
                     experts, new StoreWriter.Options(true, (long) experts * 3 * hidden * inter * 4))) {
            long n = (long) hidden * inter;
            MemorySegment[] m = {a.allocate(n * 4), a.allocate(n * 4), a.allocate(n * 4)};
            for (int e = 0; e < experts; e++) {
                for (int k = 0; k < 3; k++) {
                    // Distinct contents per expert so nothing below us can deduplicate or compress them away.
                    long seed = (e * 3L + k) * 0x9E3779B97F4A7C15L;
                    for (long i = 0; i < n / 2; i++) {
                        seed = seed * 6364136223846793005L + 1442695040888963407L;
                        m[k].setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, seed);
                    }
                }
                w.writeExpert(0, e, List.of(new StoreWriter.Blob("gate", DType.F32, new long[] {inter, hidden}, m[0]),
                        new StoreWriter.Blob("up", DType.F32, new long[] {inter, hidden}, m[1]),
                        new StoreWriter.Blob("down", DType.F32, new long[] {hidden, inter}, m[2])));
            }
            w.commit();
        }
    }

    private static final Pattern DD_BYTES = Pattern.compile("(\\d+) bytes .* copied, ([0-9.]+) s");

    /** GNU dd's byte count and elapsed time (it reads through O_DIRECT with one block of the region size). */
    private static double dd(Path file, long block) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("dd", "if=" + file, "of=/dev/null", "bs=" + block, "iflag=direct")
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("dd failed: " + text);
        }
        Matcher m = DD_BYTES.matcher(text);
        if (!m.find()) {
            throw new IOException("cannot parse dd output: " + text);
        }
        return Long.parseLong(m.group(1)) / Double.parseDouble(m.group(2));
    }

    private static double blobReader(PackedStore ps, long region, long total) throws IOException {
        try (BlobReader r = new BlobReader(true); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(region, 4096);
            long t0 = System.nanoTime();
            for (int e = 0; e < ps.numExperts(); e++) {
                ExpertEntry x = ps.expert(0, e);
                r.read(ps.file(x), x.offset(), buf.asSlice(0, x.length()));
            }
            double s = (System.nanoTime() - t0) / 1e9;
            if (!r.isDirect(ps.file(ps.expert(0, 0)))) {
                System.out.println("warning: blob reader fell back to buffered reads: " + r.fallbackReason(ps.file(ps.expert(0, 0))));
            }
            return total / s;
        }
    }

    private static double tieredStore(PackedStore ps, long total) {
        try (TieredExpertStore s = TieredExpertStore.builder(ps).hostBudget(8 * ps.maxExpertBytes()).topK(2)
                .policy("lru").loaderThreads(2).build()) {
            long t0 = System.nanoTime();
            for (int e = 0; e < ps.numExperts(); e++) {
                for (int d = 1; d <= 4 && e + d < ps.numExperts(); d++) {
                    s.prefetch(0, e + d);
                }
                try (ExpertHandle h = s.acquire(0, e)) {
                    h.key();
                }
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            StoreStats st = s.stats();
            if (st.ssdReads() != ps.numExperts()) {
                throw new IllegalStateException("expected " + ps.numExperts() + " loads, found " + st.ssdReads());
            }
            return total / sec;
        }
    }

    private LoaderReadBench() {}

}
