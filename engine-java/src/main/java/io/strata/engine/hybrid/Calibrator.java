// Measures the rates a step plan is made of, on this machine: memory, the SSD under the store, CPU expert kernels, PCIe.
package io.strata.engine.hybrid;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.StreamRead;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.backend.cuda.CudaBackend;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.fast.FastTier;
import io.strata.tiering.loader.BlobReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Every rate is measured on a working set that cannot sit in a cache: the CPU expert kernels cycle through copies of an
 * encoded expert totalling at least twice the last-level cache, the SSD reads go through O_DIRECT, the memory pass
 * reads twice the LLC. Each is the median of several repetitions.
 */
public final class Calibrator {
    /** The codecs whose CPU kernels are measured (FloE's cost depends on its sparsity: it is planned as its INT2 up). */
    public static final List<String> CODECS = List.of("f32", "bf16", "int8", "int4", "int3", "int2", "mxfp4", "fp8", "gguf-q8_0");

    private final int hidden, intermediate;
    private final boolean brief;
    private long ssdBlock = 4L << 20;
    /** Reads in flight for the SSD rate: as many as the store's loader threads by default. */
    static final int SSD_READERS = io.strata.tiering.TieredExpertStore.DEFAULT_LOADER_THREADS;
    private final Consumer<String> log;

    /**
     * @param hidden, intermediate the expert shape measured (the store's, when one is given)
     * @param brief               fewer and smaller repetitions (a run that found no calibration)
     */
    public Calibrator(int hidden, int intermediate, boolean brief, Consumer<String> log) {
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.brief = brief;
        this.log = log;
    }

    /**
     * Reads of this size in the SSD measurement (default 4 MiB): a store's expert blob size, so that the rate includes
     * the per-read latency its loads pay. Rounded up to 4 KiB.
     */
    public Calibrator ssdBlock(long bytes) {
        this.ssdBlock = Math.max(4096, (bytes + 4095) / 4096 * 4096);
        return this;
    }

    /**
     * What a GPU run without a saved calibration measures before its first step: the CPU kernel of its experts' codec
     * and the copy rate into its VRAM tier ({@code h2d}, measured by the tier). The device's expert compute is not
     * measured (it is taken as free beside the copies and the CPU), nor the SSD (a miss costs the same read on either
     * path).
     */
    public Calibration forRun(String codec, double h2d, String device) {
        long llc = lastLevelCacheBytes();
        CpuBackend host = new CpuBackend();
        try (Arena weights = Arena.ofShared(); Arena arena = Arena.ofShared()) {
            Sample s = sample(codec, randomExpert(weights, hidden, intermediate), arena, llc);
            double r = expertRate(host, s, null);
            double[] perThreads = new double[Parallel.threads()];
            perThreads[perThreads.length - 1] = r;
            return new Calibration(Calibration.thisMachine(), Instant.now().toString(), Parallel.threads(), Double.NaN, Double.NaN,
                    null, false, Map.of(s.layout.name(), perThreads), h2d, Double.NaN, Map.of(), device, true);
        }
    }

    /** Measures everything this machine has: CUDA rates only with {@code cuda} non-null, the SSD only with {@code disk}. */
    public Calibration run(CudaBackend cuda, Path disk) {
        long llc = lastLevelCacheBytes();
        log.accept("last-level cache " + (llc >> 20) + " MiB; expert shape hidden " + hidden + ", intermediate " + intermediate);
        double mem = StreamRead.bytesPerSecond(Math.max(2 * llc, 256L << 20), brief ? 3 : 7);
        log.accept(String.format("memory read %.2f GB/s", mem / 1e9));
        double ssd = Double.NaN, ssdOne = Double.NaN, ssdWave = Double.NaN, ssdPaused = Double.NaN;
        boolean direct = false;
        if (disk != null) {
            double[] r = ssdRead(disk, Math.max(brief ? 64L << 20 : 512L << 20, 64 * ssdBlock), brief ? 3 : 5, ssdBlock, SSD_READERS);
            ssd = r[0];
            direct = r[1] > 0;
            // One scratch file of 16 or more blocks for the rest: one read at a time (what a step that misses one small
            // expert waits: latency, not bandwidth), then as a step issues them, after the layer's compute: one read
            // alone, and a wave of every reader.
            int waves = brief ? 12 : 48;
            double[] rest = withScratch(disk, (int) (Math.max(brief ? 16L << 20 : 64L << 20, 16 * ssdBlock) / ssdBlock), ssdBlock,
                    f -> new double[] {readPasses(f, brief ? 3 : 5, 1)[0], stepWaves(f, waves, 1, STEP_PAUSE_NANOS),
                            stepWaves(f, waves, SSD_READERS, STEP_PAUSE_NANOS)});
            ssdOne = rest[0];
            ssdPaused = rest[1];
            ssdWave = rest[2];
            log.accept(String.format("SSD read %.2f GB/s with %d readers, %.2f GB/s one read at a time (%.3f ms per read),"
                    + " after a %.1f ms pause %.3f ms for one read and %.3f ms for %d at once, in reads of %d KiB on %s%s",
                    ssd / 1e9, SSD_READERS, ssdOne / 1e9, ssdBlock / ssdOne * 1e3, STEP_PAUSE_NANOS / 1e6,
                    ssdBlock / ssdPaused * 1e3, ssdBlock / ssdWave * 1e3, SSD_READERS, ssdBlock >> 10, disk,
                    direct ? " (O_DIRECT)" : " (buffered: not a disk speed)"));
        }
        Map<String, double[]> cpu = new LinkedHashMap<>();
        Map<String, Double> gpu = new LinkedHashMap<>();
        double h2d = Double.NaN, d2h = Double.NaN;
        CpuBackend host = new CpuBackend();
        // One VRAM tier for the device rates (a backend makes one), with slots for the largest (bf16) expert.
        FastTier vram = cuda == null ? null : cuda.newFastTier(4L * 3 * hidden * intermediate + (3L << 12), 0);
        io.strata.compression.codec.ExpertWeights w;
        try (Arena weights = Arena.ofShared()) {
            w = randomExpert(weights, hidden, intermediate);
            for (String codec : CODECS) {
            try (Arena arena = Arena.ofShared()) {
                Sample s = sample(codec, w, arena, llc);
                double[] perThreads = new double[Parallel.threads()];
                for (int t = brief ? perThreads.length : 1; t <= perThreads.length; t++) {
                    int tt = t;
                    double[] rate = new double[1];
                    Parallel.withThreads(tt, () -> rate[0] = expertRate(host, s, null));
                    perThreads[t - 1] = rate[0];
                }
                cpu.put(s.layout.name(), perThreads);
                log.accept(String.format("CPU %s expert: %s GB/s at 1..%d threads", s.layout.name(),
                        Arrays.toString(Arrays.stream(perThreads).map(v -> Math.round(v / 1e7) / 100.0).toArray()), perThreads.length));
                if (cuda != null && cuda.supports(s.layout) && CudaBackend.onDevice(s.layout)) {
                    double g = expertRate(cuda, s, vram);
                    gpu.put(s.layout.name(), g);
                    log.accept(String.format("GPU %s expert: %.2f GB/s", s.layout.name(), g / 1e9));
                }
            }
            }
        }
        String device = null;
        if (cuda != null) {
            vram.close();
            h2d = cuda.measurePinnedHostToDevice(64L << 20, brief ? 3 : 9);
            d2h = cuda.measurePinnedDeviceToHost(64L << 20, brief ? 3 : 9);
            device = cuda.deviceName();
            log.accept(String.format("PCIe pinned host→device %.2f GB/s, device→host %.2f GB/s (%s)", h2d / 1e9, d2h / 1e9, device));
        }
        return new Calibration(Calibration.thisMachine(), Instant.now().toString(), Parallel.threads(), mem, ssd,
                disk == null ? null : disk.toAbsolutePath().toString(), direct, cpu, h2d, d2h, gpu, device, brief,
                ssdOne, disk == null ? 0 : SSD_READERS, ssdWave, ssdPaused);
    }

    /** Copies of one encoded expert of the codec, as many as make twice the LLC (at least 4, at most 1.5 GiB). */
    private record Sample(ExpertLayout layout, List<ExpertHandle> handles, long expertBytes) {}

    private Sample sample(String codec, io.strata.compression.codec.ExpertWeights w, Arena arena, long llc) {
        if (codec.equals("f32")) return f32Sample(w, arena, llc);
        ExpertCodec c = ExpertCodecs.byName(codec);
        EncodedExpert one = c.encode(w, arena);
        long bytes = one.blob().byteSize();
        int copies = copies(bytes, llc);
        List<ExpertHandle> hs = new ArrayList<>();
        ExpertLayout layout = codec.equals("bf16") ? new ExpertLayout.Dense(DType.BF16) : ExpertLayout.of(one.params());
        for (int i = 0; i < copies; i++) {
            MemorySegment blob = io.strata.compression.HugePages.allocate(arena, bytes, 4096); // in the pages the host tier's slots have
            blob.copyFrom(one.blob());
            EncodedExpert e = new EncodedExpert(one.params(), blob);
            ExpertKey key = new ExpertKey(0, i);
            if (codec.equals("bf16")) {
                var d = c.decode(e, arena); // bf16 parts come back bit-exact as BF16 matrices
                hs.add(ExpertHandle.dense(key, Tier.HOST, new ExpertWeights(d.gate(), d.up(), d.down()), null, () -> {}));
            } else {
                hs.add(ExpertHandle.encoded(key, Tier.HOST, e, null, () -> {}));
            }
        }
        return new Sample(layout, hs, bytes);
    }

    /**
     * Weight bytes per second of one token's expert FFN on {@code be}, cycling through the sample's copies: median of
     * several timed rounds after a warm-up round (the JIT compiles the kernels during it). With a VRAM {@code tier}, the
     * copies are first admitted to it (up to 1 GiB of them) and the rate is the device's (the copies are not timed).
     */
    private double expertRate(Backend be, Sample s, FastTier tier) {
        List<ExpertHandle> hs = s.handles;
        List<ExpertKey> admitted = new ArrayList<>();
        if (tier != null) {
            int n = (int) Math.min(hs.size(), Math.max(2, (1L << 30) / s.expertBytes));
            List<ExpertHandle> dev = new ArrayList<>();
            for (int i = 0; i < Math.min(n, tier.capacity()); i++) {
                ExpertHandle h = hs.get(i);
                FastSlot fs = tier.admit(h.key(), segments(h));
                admitted.add(h.key());
                FastTier t = tier;
                dev.add(h.layout() instanceof ExpertLayout.Dense ? ExpertHandle.dense(h.key(), Tier.FAST, h.weights(), fs, () -> t.released(h.key()))
                        : ExpertHandle.encoded(h.key(), Tier.FAST, h.encoded(), fs, () -> t.released(h.key())));
            }
            hs = dev;
        }
        try {
            Buf x = be.alloc(hidden), y = be.alloc(hidden);
            float[] xs = new float[hidden];
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < hidden; i++) xs[i] = (float) r.nextGaussian();
            be.write(x, xs, 0, hidden);
            int rounds = brief ? 3 : 7;
            int perRound = Math.max(hs.size(), brief ? 8 : 24);
            double[] rates = new double[rounds];
            float[] sink = new float[1];
            for (int round = -1; round < rounds; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < perRound; i++) be.expertFfn(hs.get(i % hs.size()), x, 1, y);
                be.read(y, sink, 0, 1); // waits for the device's queue
                long dt = System.nanoTime() - t0;
                if (round >= 0) rates[round] = (double) perRound * s.expertBytes / (dt / 1e9);
            }
            be.free(x);
            be.free(y);
            Arrays.sort(rates);
            return rates[rounds / 2];
        } finally {
            for (ExpertKey k : admitted) tier.evict(k);
        }
    }

    /**
     * Copies of an expert of {@code bytes} that make twice the LLC: at least 4, at most 4096 and 1.5 GiB (brief: 256 MiB,
     * less than the LLC may be, so a rougher, higher rate).
     */
    private int copies(long bytes, long llc) {
        long cap = brief ? 256L << 20 : 3L << 29;
        return (int) Math.max(4, Math.min(4096, Math.min(cap / bytes, (2 * llc + bytes - 1) / bytes)));
    }

    /** Dense f32 copies of w (checkpoints stored in f32 keep that dtype in their stores). */
    private Sample f32Sample(io.strata.compression.codec.ExpertWeights w, Arena arena, long llc) {
        long bytes = 2 * (w.gate().byteSize() + w.up().byteSize() + w.down().byteSize());
        int copies = copies(bytes, llc);
        List<ExpertHandle> hs = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            hs.add(ExpertHandle.dense(new ExpertKey(0, i), Tier.HOST,
                    new ExpertWeights(f32(w.gate(), arena), f32(w.up(), arena), f32(w.down(), arena)), null, () -> {}));
        }
        return new Sample(new ExpertLayout.Dense(DType.F32), hs, bytes);
    }

    private static Matrix f32(Matrix m, Arena arena) {
        long n = (long) m.rows() * m.cols();
        MemorySegment out = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            int bits = (m.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i) & 0xffff) << 16;
            out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i, Float.intBitsToFloat(bits));
        }
        return new Matrix(m.name(), out, DType.F32, m.rows(), m.cols());
    }

    private static MemorySegment[] segments(ExpertHandle h) {
        if (h.layout() instanceof ExpertLayout.Dense) {
            return new MemorySegment[] {h.weights().gate().data(), h.weights().up().data(), h.weights().down().data()};
        }
        return new MemorySegment[] {h.encoded().blob()};
    }

    /** Gaussian bf16 weights of one expert (the kernels' speed does not depend on the values, only on their format). */
    static io.strata.compression.codec.ExpertWeights randomExpert(Arena arena, int h, int inter) {
        SplittableRandom r = new SplittableRandom(42);
        return new io.strata.compression.codec.ExpertWeights(bf16(arena, "gate", inter, h, r), bf16(arena, "up", inter, h, r),
                bf16(arena, "down", h, inter, r));
    }

    private static Matrix bf16(Arena arena, String name, int rows, int cols, SplittableRandom r) {
        MemorySegment m = arena.allocate(2L * rows * cols, 64);
        float scale = (float) (1 / Math.sqrt(cols));
        for (long i = 0; i < (long) rows * cols; i++) {
            int bits = Float.floatToRawIntBits((float) r.nextGaussian() * scale);
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (bits >>> 16));
        }
        return new Matrix(name, m, DType.BF16, rows, cols);
    }

    /**
     * Reads a scratch file of {@code bytes} in {@code dir} in blocks of {@code block} bytes (a multiple of 4 KiB), each
     * CRC32C-checked as the store checks its blobs, by {@code readers} threads,
     * {@code passes} times with the block order shuffled each pass: {median bytes/s, 1 if O_DIRECT else 0}. The file is
     * deleted afterwards.
     */
    public static double[] ssdRead(Path dir, long bytes, int passes, long block, int readers) {
        return withScratch(dir, (int) Math.max(1, bytes / block), block, f -> readPasses(f, passes, readers));
    }

    /** The pause before each wave of {@link #ssdStepRead}: about the compute between one layer's reads and the next's. */
    static final long STEP_PAUSE_NANOS = 1_000_000;

    /**
     * Reads as a decode step issues them: after a pause of {@code pauseNanos} (the layer's compute, during which the
     * readers and the disk sit idle), {@code readers} reads of {@code block} bytes at random places of a scratch file of
     * {@code bytes} in {@code dir}, handed at once to a pool of as many threads (the store's loader threads take their
     * reads from a queue the same way), each CRC32C-checked; the caller waits for all of them, then pauses again.
     * {@code waves} such waves. Returns one reader's bytes/s in a wave: {@code block} over the median wave's time.
     *
     * <p>Why: on the 2-core VM a read issued after an idle millisecond took longer than the same read in a loop. Reads
     * of 576 KiB (tiny-moe's experts) took 0.50-0.52 ms one after another and 0.64-0.84 ms after a pause; two at a time,
     * a wave took 0.76-0.84 ms back to back and 0.95-1.18 ms after a pause (bench/results/hybrid/step-reads/burst/), and
     * the store's reads took 0.67-1.13 ms in tiny-moe's decode at a 2 MiB host budget (hybrid/claim-back/tiny-2MiB-run*.json).
     */
    public static double ssdStepRead(Path dir, long bytes, int waves, long block, int readers, long pauseNanos) {
        return withScratch(dir, (int) Math.max(readers, bytes / block), block, f -> stepWaves(f, waves, readers, pauseNanos));
    }

    /** A scratch file of blocks of random bytes, the blocks of one measurement. */
    private record Scratch(Path file, int blocks, long block) {}

    private interface ScratchUse<T> {
        T measure(Scratch s) throws IOException, InterruptedException, java.util.concurrent.ExecutionException;
    }

    /**
     * Writes a scratch file of {@code blocks} blocks of {@code block} random bytes in {@code dir} through to the disk,
     * measures with it, and deletes it; a failure names {@code dir}.
     */
    private static <T> T withScratch(Path dir, int blocks, long block, ScratchUse<T> use) {
        Path f = null;
        try {
            Files.createDirectories(dir);
            f = Files.createTempFile(dir, "strata-calibrate-", ".bin");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocateDirect((int) Math.min(block, Integer.MAX_VALUE - 4096));
                SplittableRandom r = new SplittableRandom(3);
                while (b.hasRemaining()) b.put((byte) r.nextInt());
                for (long off = 0; off < (long) blocks * block; off += b.capacity()) {
                    b.clear();
                    b.limit((int) Math.min(b.capacity(), (long) blocks * block - off));
                    while (b.hasRemaining()) ch.write(b, off + b.position());
                }
                ch.force(true);
            }
            return use.measure(new Scratch(f, blocks, block));
        } catch (IOException e) {
            throw new UncheckedIOException("measuring SSD reads in " + dir + ": " + e.getMessage(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UncheckedIOException("measuring SSD reads in " + dir + ": " + e.getCause().getMessage(),
                    e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while measuring SSD reads in " + dir, e));
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // a scratch file left in the store folder is harmless
                }
            }
        }
    }

    /** {@link #ssdRead} on a scratch file: {median bytes/s, 1 if O_DIRECT else 0}. */
    private static double[] readPasses(Scratch s, int passes, int readers) throws IOException, InterruptedException {
        int blocks = s.blocks();
        long block = s.block();
        double[] rates = new double[passes];
        boolean direct;
        try (BlobReader probe = new BlobReader(true)) {
            direct = probe.isDirect(s.file());
        }
        SplittableRandom r = new SplittableRandom(11);
        int[] order = new int[blocks];
        for (int p = 0; p < passes; p++) {
            for (int i = 0; i < blocks; i++) order[i] = i;
            for (int i = blocks - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            Thread[] ts = new Thread[readers];
            IOException[] failed = new IOException[1];
            long t0 = System.nanoTime();
            for (int k = 0; k < readers; k++) {
                ts[k] = Thread.ofPlatform().start(() -> {
                    try (BlobReader reader = new BlobReader(true); Arena arena = Arena.ofConfined()) {
                        MemorySegment dst = arena.allocate(block, 4096);
                        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                        for (int i; (i = next.getAndIncrement()) < blocks; ) {
                            reader.read(s.file(), (long) order[i] * block, dst);
                            crc.reset();
                            crc.update(dst.asByteBuffer()); // the store verifies every blob it reads: so does this rate
                        }
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                });
            }
            for (Thread t : ts) t.join();
            if (failed[0] != null) throw failed[0];
            rates[p] = (double) blocks * block / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(rates);
        return new double[] {rates[passes / 2], direct ? 1 : 0};
    }

    /** {@link #ssdStepRead} on a scratch file: one reader's bytes/s in the median wave. */
    private static double stepWaves(Scratch s, int waves, int readers, long pauseNanos)
            throws IOException, InterruptedException, java.util.concurrent.ExecutionException {
        int blocks = s.blocks();
        long block = s.block();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(readers,
                Thread.ofPlatform().name("strata-calibrate-reader-", 1).daemon().factory());
        BlobReader[] readerOf = new BlobReader[readers];
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] dst = new MemorySegment[readers];
            java.util.zip.CRC32C[] crc = new java.util.zip.CRC32C[readers];
            for (int k = 0; k < readers; k++) {
                dst[k] = arena.allocate(block, 4096);
                readerOf[k] = new BlobReader(true);
                crc[k] = new java.util.zip.CRC32C();
            }
            SplittableRandom r = new SplittableRandom(13);
            double[] secs = new double[waves];
            java.util.concurrent.Future<?>[] fs = new java.util.concurrent.Future<?>[readers];
            for (int w = 0; w < waves; w++) {
                java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
                int first = r.nextInt(blocks);
                long t0 = System.nanoTime();
                for (int k = 0; k < readers; k++) {
                    int kk = k;
                    long off = (long) ((first + k) % blocks) * block;
                    fs[k] = pool.submit(() -> {
                        readerOf[kk].read(s.file(), off, dst[kk]);
                        crc[kk].reset();
                        crc[kk].update(dst[kk].asByteBuffer());
                        return null;
                    });
                }
                for (var fu : fs) fu.get();
                secs[w] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(secs);
            return block / secs[waves / 2];
        } finally {
            pool.shutdownNow();
            for (BlobReader b : readerOf) if (b != null) b.close();
        }
    }

    /** The last-level cache of cpu0 from sysfs (bytes); 32 MiB when it cannot be read. */
    public static long lastLevelCacheBytes() {
        long best = 0;
        Path base = Path.of("/sys/devices/system/cpu/cpu0/cache");
        try (var dirs = Files.list(base)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                String size = Files.readString(d.resolve("size")).trim();
                long mult = size.endsWith("K") ? 1024 : size.endsWith("M") ? 1 << 20 : 1;
                long v = Long.parseLong(size.replaceAll("[^0-9]", "")) * mult;
                best = Math.max(best, v);
            }
        } catch (IOException | RuntimeException e) {
            return 32L << 20;
        }
        return best > 0 ? best : 32L << 20;
    }
}
