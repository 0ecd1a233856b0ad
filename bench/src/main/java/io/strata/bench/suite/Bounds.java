// The speed limits a run is judged against, measured in the same run: memory read bandwidth and SSD read bandwidth.
package io.strata.bench.suite;

import io.strata.compression.HugePages;
import io.strata.compression.kernel.StreamRead;
import io.strata.tiering.loader.BlobReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Samples of the two bandwidths a decode step can be limited by, taken between the repetitions of a benchmark
 * (interleaved, so a machine that slows down during the run slows both), summarised by their median.
 *
 * <p>Memory: one vectorised read over a buffer of at least {@link #MEMORY_LLC_MULTIPLE} times the last-level cache
 * (read from {@code /sys/devices/system/cpu/cpu0/cache}), allocated and touched once. Why that size: a working set
 * that fits the cache measures the cache (a 300 MiB L3 holds a 256 MiB matrix whole), and a decode step streams
 * weights far larger than any cache.
 *
 * <p>SSD: {@link #SSD_SAMPLE_BYTES} read with O_DIRECT (the store's own {@link BlobReader}) from one of the store's
 * blob files in {@link #SSD_BLOCK}-byte reads at random aligned offsets, {@link #SSD_QUEUE_DEPTH} in flight: what
 * the tiered store's loader could get from the disk. Where the file system refuses O_DIRECT the reads go through
 * the page cache and {@link #ssdDirect()} says so; such a figure is no SSD bound.
 */
public final class Bounds implements AutoCloseable {
    public static final int MEMORY_LLC_MULTIPLE = 4;
    public static final long MEMORY_MIN_BYTES = 1L << 30;
    public static final long SSD_SAMPLE_BYTES = 256L << 20;
    public static final int SSD_BLOCK = 4 << 20;
    public static final int SSD_QUEUE_DEPTH = 4;

    private final Arena arena = Arena.ofShared();
    private final long llcBytes;
    private final String llcSource;
    private final MemorySegment memory; // (memoryBytes) bytes of touched memory, read whole by each sample
    private final List<Double> memorySamples = new ArrayList<>();
    private final List<Double> ssdSamples = new ArrayList<>();
    private final BlobReader reader = new BlobReader(true);
    private final SplittableRandom random = new SplittableRandom(7);
    private Path ssdFile;
    private Boolean ssdDirect;

    public Bounds() {
        long[] llc = lastLevelCache();
        llcBytes = llc[0];
        llcSource = llc[1] > 0 ? "L" + llc[1] + " of /sys/devices/system/cpu/cpu0/cache" : "unknown (no /sys cache info): assumed 32 MiB";
        long bytes = Math.max(MEMORY_MIN_BYTES, MEMORY_LLC_MULTIPLE * llcBytes);
        // in the pages the engine's weights get (see StreamRead.bytesPerSecond); every page committed by the allocation,
        // so the samples see no page faults
        memory = HugePages.allocate(arena, bytes, 4096);
        // The read loop compiled by C2 before the first sample: interpreted and C1 code boxes each vector operation
        // and read the first samples at half the machine's rate (a bound that low made decode look faster than it).
        MemorySegment warm = memory.asSlice(0, Math.min(memory.byteSize(), 256L << 10));
        for (int i = 0; i < WARMUP_PASSES; i++) StreamRead.sum(warm);
    }

    /** Passes over a cache-sized slice before the first memory sample (a C2 compile of the loop takes ~10^4 calls). */
    static final int WARMUP_PASSES = 20_000;

    /** {bytes, level} of the highest cache level of cpu0; {32 MiB, 0} where /sys does not say. */
    static long[] lastLevelCache() {
        long best = 32L << 20, level = 0;
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith("index")).toList()) {
                int l = Integer.parseInt(Files.readString(p.resolve("level")).strip());
                long size = parseSize(Files.readString(p.resolve("size")).strip());
                if (l > level || (l == level && size > best)) {
                    level = l;
                    best = size;
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[] {32L << 20, 0};
        }
        return new long[] {best, level};
    }

    /** "307200K", "2048K", "32M", "1G" or plain bytes. */
    static long parseSize(String s) {
        char u = Character.toUpperCase(s.charAt(s.length() - 1));
        long mul = switch (u) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(mul == 1 ? s : s.substring(0, s.length() - 1)) * mul;
    }

    public long llcBytes() {
        return llcBytes;
    }

    public String llcSource() {
        return llcSource;
    }

    public long memoryWorkingSetBytes() {
        return memory.byteSize();
    }

    /** Passes over the buffer per memory sample; the sample is the fastest. */
    static final int MEMORY_PASSES = 3;

    /**
     * One memory-bandwidth sample (bytes/s), kept for the median: the fastest of {@link #MEMORY_PASSES} passes. Why the
     * fastest: a bound is what the hardware can do, and every disturbance (another process, a compile, a page-cache
     * flush) only slows a pass down; single passes taken right after a model's warm-up read 5.6–19 GB/s on a machine
     * that streams 20 GB/s, which put the checkpoint's decode above its "bound".
     */
    public double sampleMemory() {
        double best = StreamRead.bestOf(memory, MEMORY_PASSES);
        memorySamples.add(best);
        return best;
    }

    /** The blob file SSD samples read: the largest {@code experts-*} file of a store folder. */
    public void ssdFileFrom(Path storeDir) throws IOException {
        try (var files = Files.list(storeDir)) {
            Path f = files.filter(p -> p.getFileName().toString().startsWith("experts-"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElse(null);
            if (f == null) throw new IOException("store " + storeDir + ": no experts-* blob file to measure SSD bandwidth on");
            if (!f.equals(ssdFile)) {
                ssdFile = f;
                ssdSamples.clear();
            }
        }
    }

    /** One SSD-bandwidth sample (bytes/s) over the file named by {@link #ssdFileFrom}, kept for the median. */
    public double sampleSsd() throws IOException {
        if (ssdFile == null) throw new IllegalStateException("no store file to read: call ssdFileFrom first");
        long size = Files.size(ssdFile) / SSD_BLOCK * SSD_BLOCK;
        if (size < SSD_BLOCK) throw new IOException(ssdFile + ": " + Files.size(ssdFile) + " bytes, below one " + SSD_BLOCK + "-byte read");
        int reads = (int) Math.max(1, SSD_SAMPLE_BYTES / SSD_BLOCK);
        long[] offsets = new long[reads];
        for (int i = 0; i < reads; i++) offsets[i] = random.nextLong(size / SSD_BLOCK) * SSD_BLOCK;
        ssdDirect = reader.isDirect(ssdFile);
        ExecutorService pool = Executors.newFixedThreadPool(SSD_QUEUE_DEPTH);
        try (Arena a = Arena.ofShared()) { // shared: the reader threads write into these buffers
            MemorySegment[] bufs = new MemorySegment[SSD_QUEUE_DEPTH];
            for (int i = 0; i < bufs.length; i++) bufs[i] = a.allocate(SSD_BLOCK, 4096);
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int q = 0; q < SSD_QUEUE_DEPTH; q++) {
                int lane = q;
                fs.add(pool.submit(() -> {
                    for (int i = lane; i < reads; i += SSD_QUEUE_DEPTH) reader.read(ssdFile, offsets[i], bufs[lane]);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
            double bw = (double) reads * SSD_BLOCK / ((System.nanoTime() - t0) / 1e9);
            ssdSamples.add(bw);
            return bw;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("SSD read of " + ssdFile + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while measuring " + ssdFile, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Whether the SSD samples bypassed the page cache (null before the first sample). */
    public Boolean ssdDirect() {
        return ssdDirect;
    }

    public Path ssdFile() {
        return ssdFile;
    }

    public List<Double> memorySamples() {
        return List.copyOf(memorySamples);
    }

    public List<Double> ssdSamples() {
        return List.copyOf(ssdSamples);
    }

    /** Median of the samples so far (NaN when none). */
    public static double median(List<Double> xs) {
        if (xs.isEmpty()) return Double.NaN;
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    public String describe() {
        return String.format(Locale.ROOT, "memory: %d samples (each the fastest of " + MEMORY_PASSES + " passes) over %.2f GiB (LLC %.0f MiB, %s; %s), median %.2f GB/s; SSD: %d samples%s, median %.2f GB/s",
                memorySamples.size(), memory.byteSize() / (double) (1L << 30), llcBytes / (double) (1 << 20), llcSource, HugePages.status(), median(memorySamples) / 1e9,
                ssdSamples.size(), ssdDirect == null ? "" : ssdDirect ? " (O_DIRECT)" : " (buffered: O_DIRECT refused)", median(ssdSamples) / 1e9);
    }

    @Override
    public void close() {
        reader.close();
        arena.close();
    }
}
