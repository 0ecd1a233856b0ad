// Per layer of a decode step: which path each routed expert takes (VRAM hit, prefetched, copy, CPU, FloE rows).
package io.strata.engine.hybrid;

import io.strata.tiering.Residency;

/**
 * The cost model of one MoE layer on a GPU with a host tier below it. Three resources work at once: the copy engine
 * (host→VRAM copies, one after another), the GPU (expert FFNs one after another, each after its copy), and the CPU
 * threads (host-tier experts computed with the fused kernels). SSD reads come first for an expert on the SSD, whatever
 * its path. Misses are assigned greedily, largest first, to the path that ends the layer soonest (list scheduling);
 * a tie goes to the copy, which leaves the expert in VRAM for the next tokens. All rates come from a
 * {@link Calibration}; times are in seconds.
 */
public final class StepPlanner {
    /** Where a routed expert is computed this step. */
    public enum Path {
        /** In VRAM already: computed on the GPU. */
        HIT,
        /** Copied into VRAM ahead of need by a prefetch hint: computed on the GPU. */
        PREFETCHED,
        /** Copied host→VRAM now, then computed on the GPU. */
        COPY,
        /** Computed on the CPU from the host tier while the GPU works; the result is added on the GPU. */
        CPU,
        /** FloE: only the active gate/down rows are copied. */
        FLOE
    }

    /** What the user asked: the plan ({@code AUTO}), always copy ({@code GPU}), or every miss on the CPU ({@code CPU}). */
    public enum Mode {
        AUTO, GPU, CPU
    }

    private final Calibration cal;
    private final Mode mode;

    /** @param cal the measured rates; needed by {@code AUTO}; without them a fixed mode gives paths and no time */
    public StepPlanner(Calibration cal, Mode mode) {
        if (mode == Mode.AUTO && cal == null) throw new IllegalArgumentException("the AUTO plan needs a calibration");
        this.cal = cal;
        this.mode = mode;
    }

    public Mode mode() {
        return mode;
    }

    /** The paths chosen and the layer's predicted time. */
    public record Plan(Path[] paths, double seconds) {}

    /**
     * @param where  each routed expert's residency now
     * @param bytes  each expert's weight bytes
     * @param layout each expert's layout name (calibration key)
     * @param floe   whether each expert is a FloE blob (its misses move rows only)
     * @param tokens how many of the step's tokens each expert serves
     */
    public Plan plan(Residency[] where, long[] bytes, String[] layout, boolean[] floe, int[] tokens) {
        int m = where.length;
        Path[] out = new Path[m];
        double gpu = 0, copy = 0, cpu = 0;
        double[] ready = new double[m]; // when each expert's bytes are in host memory
        int[] read = new int[m];
        int n = 0;
        for (int i = 0; i < m; i++) {
            Residency r = where[i];
            if (r == Residency.FAST || r == Residency.FAST_PREFETCHED) {
                out[i] = r == Residency.FAST ? Path.HIT : Path.PREFETCHED;
                if (cal != null) gpu += cal.gpuSeconds(bytes[i], layout[i]);
            } else if (cal != null && (r == Residency.SSD || r == Residency.LOADING)) {
                read[n++] = i;
            }
        }
        // Without an SSD rate (a run's brief calibration) the reads are left out: they precede either path alike.
        if (n > 0 && cal.ssdRead() > 0) {
            long[] rb = new long[n];
            for (int j = 0; j < n; j++) rb[j] = bytes[read[j]];
            double[] done = cal.stepReads(rb);
            for (int j = 0; j < n; j++) ready[read[j]] = done[j];
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(bytes[b], bytes[a]));
        for (int i : order) {
            if (out[i] != null) continue;
            if (cal == null) { // a fixed rule without rates: the paths only, no time
                out[i] = mode == Mode.CPU ? Path.CPU : floe[i] ? Path.FLOE : Path.COPY;
                continue;
            }
            double copyEnd = Math.max(copy, ready[i]) + (floe[i] ? 0 : bytes[i] / Calibration.required(cal.h2d(), "host-to-device copy"));
            double gpuEnd = Math.max(gpu, copyEnd) + cal.gpuSeconds(bytes[i], layout[i]);
            double cpuEnd = Math.max(cpu, ready[i]) + tokens[i] * bytes[i] / Calibration.required(cal.cpuExpertRate(layout[i]), layout[i] + " CPU kernel");
            boolean onCpu = switch (mode) {
                case CPU -> true;
                case GPU -> false;
                case AUTO -> Math.max(cpuEnd, gpu) < Math.max(gpuEnd, cpu);
            };
            if (onCpu) {
                out[i] = Path.CPU;
                cpu = cpuEnd;
            } else {
                out[i] = floe[i] ? Path.FLOE : Path.COPY;
                copy = copyEnd;
                gpu = gpuEnd;
            }
        }
        return new Plan(out, Math.max(gpu, cpu));
    }
}
