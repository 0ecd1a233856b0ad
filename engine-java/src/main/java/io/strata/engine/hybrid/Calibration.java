// What this machine moves and computes per second, measured once by `strata calibrate` and read by the step planner.
package io.strata.engine.hybrid;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Measured rates, all in bytes per second (NaN where not measured: no GPU, no store disk given). The planner turns
 * expert bytes into times with them: an expert of B bytes costs B / h2d to copy, B / cpuExpert(layout) to compute on the
 * CPU (its fused kernel streams the weights once per token), B / gpuExpert(layout) on the GPU, B / ssd to read.
 *
 * @param machine         CPU model and core count (a calibration from another machine is refused)
 * @param threads         the CPU threads the kernels use ({@code Parallel.threads()})
 * @param memoryRead      streaming read of a working set well beyond the last-level cache, all threads
 * @param ssdRead         O_DIRECT reads of expert-sized blocks on the store's disk (median of interleaved passes)
 * @param ssdPath         the folder whose disk was measured, or null
 * @param ssdDirect       whether the reads bypassed the page cache (O_DIRECT); when false ssdRead is not a disk speed
 * @param cpuExpert       per expert layout name ("bf16", "int8-g64", "int4-g64", ...): weight bytes/s of one decode
 *                        token's expert FFN at 1, 2, .. {@code threads} threads (index t-1)
 * @param h2d             pinned host-to-device copies (the copy stream)
 * @param d2h             device-to-host copies
 * @param gpuExpert       per expert layout name: weight bytes/s of one token's expert FFN on the device
 * @param device          the GPU's name, or null
 * @param brief           measured briefly (a run that found no calibration): rougher numbers
 * @param ssdReadOne      the same reads with one reader, one read at a time (bytes/s): a read's own latency, its system
 *                        call and checksum included; NaN or 0 where not measured (calibrations before it was)
 * @param ssdReaders      the readers in flight while ssdRead was measured (the store's loader threads); 0 where unknown
 * @param ssdReadWave     the same reads as a decode step issues them (bytes/s of each reader): a wave of
 *                        {@code ssdReaders} reads handed at once to the loader threads after a pause the length of a
 *                        layer's compute ({@link Calibrator#ssdStepRead}); NaN or 0 where not measured (older calibrations)
 * @param ssdReadAfterPause one read handed to a loader thread after such a pause (bytes/s); NaN or 0 where not measured
 */
public record Calibration(String machine, String createdAt, int threads, double memoryRead, double ssdRead, String ssdPath,
                          boolean ssdDirect, Map<String, double[]> cpuExpert, double h2d, double d2h,
                          Map<String, Double> gpuExpert, String device, boolean brief, double ssdReadOne, int ssdReaders,
                          double ssdReadWave, double ssdReadAfterPause) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public Calibration {
        cpuExpert = cpuExpert == null ? Map.of() : new TreeMap<>(cpuExpert);
        gpuExpert = gpuExpert == null ? Map.of() : new TreeMap<>(gpuExpert);
    }

    /** A calibration without the one-reader SSD rate: reads are then priced at the aggregate rate alone. */
    public Calibration(String machine, String createdAt, int threads, double memoryRead, double ssdRead, String ssdPath,
                       boolean ssdDirect, Map<String, double[]> cpuExpert, double h2d, double d2h,
                       Map<String, Double> gpuExpert, String device, boolean brief) {
        this(machine, createdAt, threads, memoryRead, ssdRead, ssdPath, ssdDirect, cpuExpert, h2d, d2h, gpuExpert, device, brief,
                Double.NaN, 0);
    }

    /** A calibration without the reads after a pause: a read's time alone is then its one-reader time. */
    public Calibration(String machine, String createdAt, int threads, double memoryRead, double ssdRead, String ssdPath,
                       boolean ssdDirect, Map<String, double[]> cpuExpert, double h2d, double d2h,
                       Map<String, Double> gpuExpert, String device, boolean brief, double ssdReadOne, int ssdReaders) {
        this(machine, createdAt, threads, memoryRead, ssdRead, ssdPath, ssdDirect, cpuExpert, h2d, d2h, gpuExpert, device, brief,
                ssdReadOne, ssdReaders, Double.NaN, Double.NaN);
    }

    /**
     * When each of a step's SSD reads completes (seconds from the step's start), the reads queued at once in this
     * order. The store's loader threads ({@link #ssdReaders}) each take the next read when free; a read lasts the
     * longer of its time alone ({@code bytes / ssdReadOne}: latency, system call and checksum) and its share of the disk
     * with as many readers busy as the step has reads, at most every reader ({@code min(n, readers) · bytes / ssdRead}).
     * Why both: a top-2 model misses one or two small experts per layer, whose reads are latency-bound (tiny-moe's
     * 576 KiB reads took about 1 ms each in the store against 0.34 ms at the aggregate rate); a top-8 model's large
     * reads keep every reader busy and meet the aggregate rate. A layer that misses one expert reads alone: on a disk
     * that two readers do not speed up (the VM's: 1.40 GB/s with two, 1.41 with one), charging it half the disk priced
     * the OLMoE-shaped store's lone 12 MiB reads at 18 ms against the 8.4-9.9 ms they took.
     *
     * <p>The first read of each reader starts on an idle reader and disk, after the layer's compute. Where the
     * calibration measured reads issued that way, those reads last at least {@code bytes / ssdReadAfterPause} when one
     * starts alone and {@code bytes / ssdReadWave} when several start together (a wave); the reads after them follow
     * back to back. On the 2-core VM the difference is large: 576 KiB took 0.50-0.52 ms one after another, 0.64-0.84 ms
     * alone after a pause, and 0.95-1.18 ms two at a time after a pause (bench/results/hybrid/step-reads/burst/output.txt).
     *
     * <p>Without the one-reader rate (calibrations made before it was measured) the reads follow one another at the
     * aggregate rate.
     */
    public double[] stepReads(long[] bytes) {
        double agg = required(ssdRead, "SSD read");
        double[] done = new double[bytes.length];
        if (!(ssdReadOne > 0) || ssdReaders <= 0) {
            double t = 0;
            for (int i = 0; i < bytes.length; i++) done[i] = t += bytes[i] / agg;
            return done;
        }
        double[] free = new double[ssdReaders];
        int wave = Math.min(bytes.length, ssdReaders); // the reads that start together on idle readers: the busy readers
        double idleRate = wave > 1 ? ssdReadWave : ssdReadAfterPause;
        for (int i = 0; i < bytes.length; i++) {
            int r = 0;
            for (int k = 1; k < free.length; k++) if (free[k] < free[r]) r = k;
            double t = Math.max(bytes[i] / ssdReadOne, wave * (bytes[i] / agg));
            if (i < wave && idleRate > 0) t = Math.max(t, bytes[i] / idleRate);
            done[i] = free[r] += t;
        }
        return done;
    }

    /** CPU expert throughput of {@code layout} at the configured thread count (bytes/s), or NaN if not measured. */
    public double cpuExpertRate(String layout) {
        double[] r = cpuExpert.get(layout);
        return r == null || r.length == 0 ? Double.NaN : r[Math.min(threads, r.length) - 1];
    }

    /** Device expert throughput of {@code layout} (bytes/s), or NaN. */
    public double gpuExpertRate(String layout) {
        Double r = gpuExpert.get(layout);
        return r == null ? Double.NaN : r;
    }

    /**
     * Seconds the device takes for an expert of {@code bytes} in {@code layout}; 0 without a device rate for it (such an
     * expert runs on the host kernels, which a step plan does not price).
     */
    public double gpuSeconds(long bytes, String layout) {
        double r = gpuExpertRate(layout);
        return Double.isNaN(r) ? 0 : bytes / r;
    }

    /** {@code r} when it was measured (positive), else a failure naming what is missing. */
    static double required(double r, String what) {
        if (!(r > 0)) throw new IllegalStateException("the calibration has no " + what + " rate: run `strata calibrate`");
        return r;
    }

    public boolean hasGpu() {
        return device != null && h2d > 0;
    }

    /**
     * Where `strata calibrate` saves and `strata run` looks: {@code -Dstrata.calibration=FILE}, else calibration.json in
     * $STRATA_CACHE or ~/.cache/strata.
     */
    public static Path defaultPath() {
        String prop = System.getProperty("strata.calibration");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        String env = System.getenv("STRATA_CACHE");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "strata");
        return dir.resolve("calibration.json");
    }

    public void save(Path file) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing calibration " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a saved calibration; fails naming the file when it is not one. */
    public static Calibration load(Path file) {
        try {
            Calibration c = JSON.readValue(file.toFile(), Calibration.class);
            if (c.machine() == null || !(c.memoryRead() > 0)) {
                throw new IllegalArgumentException(file + ": not a calibration (expected machine and memoryRead > 0)");
            }
            return c;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable calibration: " + e.getMessage(), e);
        }
    }

    /** CPU model name and core count, from /proc/cpuinfo where there is one. */
    public static String thisMachine() {
        String model = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: the architecture name stands in
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
