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
 */
public record Calibration(String machine, String createdAt, int threads, double memoryRead, double ssdRead, String ssdPath,
                          boolean ssdDirect, Map<String, double[]> cpuExpert, double h2d, double d2h,
                          Map<String, Double> gpuExpert, String device, boolean brief, double ssdReadOne, int ssdReaders) {
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

    /**
     * The store's reads of one step, queued at once, priced in order of queueing. The store's loader threads
     * ({@link #ssdReaders}) each take the next read when free; a read lasts the longer of its time alone
     * ({@code bytes / ssdReadOne}: latency, system call and checksum) and its share of the disk with every reader busy
     * ({@code readers · bytes / ssdRead}). Why both: a top-2 model misses one or two small experts per layer, whose reads
     * are latency-bound (tiny-moe's 576 KiB reads took about 1 ms each in the store against 0.34 ms at the aggregate
     * rate); a top-8 model's large reads keep every reader busy and meet the aggregate rate. Without the one-reader rate
     * (calibrations made before it was measured) the reads follow one another at the aggregate rate.
     */
    public final class ReadQueue {
        private final double[] free = new double[Math.max(1, ssdReaders)];
        private double serial;

        /** Queues a read of {@code bytes}; returns when it completes (seconds from the step's start). */
        public double add(long bytes) {
            double agg = required(ssdRead, "SSD read");
            if (!(ssdReadOne > 0) || ssdReaders <= 0) return serial += bytes / agg;
            int r = 0;
            for (int i = 1; i < free.length; i++) if (free[i] < free[r]) r = i;
            free[r] += Math.max(bytes / ssdReadOne, free.length * (bytes / agg));
            return free[r];
        }
    }

    /** An empty queue of SSD reads for one step (see {@link ReadQueue}). */
    public ReadQueue readQueue() {
        return new ReadQueue();
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
