// The synthetic model presets of the benchmark suite: names, shapes, size on disk, and writing one on first use.
package io.strata.bench.suite;

import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.engine.synth.SyntheticStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A preset names a {@link SyntheticCheckpoint#preset} shape; {@code NAME@L} keeps its first L layers
 * ({@code olmoe-1b-7b@4}: the OLMoE shape with 4 layers). Presets are written under the cache directory on first
 * use, as a bf16 checkpoint folder ({@code checkpoint}) or straight into a packed store of a group-quantizing codec
 * ({@link SyntheticStore}). Writing more than {@link #WARN_BYTES} prints a warning first, and a write that would not
 * fit the free disk space is refused.
 */
public final class SynthPresets {
    /** The preset names {@link SyntheticCheckpoint#preset} knows, smallest first. */
    public static final List<String> NAMES = List.of("tiny", "demo-mixtral", "olmoe-1b-7b", "qwen1.5-moe-a2.7b", "qwen3-30b-a3b", "mixtral-8x7b");

    /** Writes above this many bytes are announced with a warning before they start (10 GB). */
    public static final long WARN_BYTES = 10_000_000_000L;

    private SynthPresets() {}

    /** True when name is a preset, with or without an {@code @layers} suffix. */
    public static boolean isPreset(String name) {
        return NAMES.contains(base(name));
    }

    private static String base(String name) {
        int at = name.indexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    /** The shape of a preset name ({@code NAME} or {@code NAME@LAYERS}). */
    public static SyntheticCheckpoint.Spec spec(String name) {
        String b = base(name);
        if (!NAMES.contains(b)) throw new IllegalArgumentException("unknown preset '" + name + "': expected one of " + NAMES + " (optionally NAME@LAYERS)");
        SyntheticCheckpoint.Spec s = SyntheticCheckpoint.preset(b);
        if (b.length() == name.length()) return s;
        int layers;
        try {
            layers = Integer.parseInt(name.substring(b.length() + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("preset '" + name + "': the part after @ must be a layer count, found '" + name.substring(b.length() + 1) + "'");
        }
        if (layers < 1 || layers > s.layers()) {
            throw new IllegalArgumentException("preset '" + name + "': layers must be in [1, " + s.layers() + "], found " + layers);
        }
        return s.withLayers(layers);
    }

    /** Bytes on disk of a preset in a codec ({@code checkpoint} = bf16 folder): dense tensors + experts as encoded. */
    public static long bytesOnDisk(String name, String codec) {
        SyntheticCheckpoint.Spec s = spec(name);
        long all = s.totalBytes();
        if (codec == null || codec.equals("checkpoint")) return all;
        long experts = (long) s.layers() * s.experts() * s.expertBytes();
        var c = io.strata.compression.codec.ExpertCodecs.byName(codec);
        if (!(c instanceof io.strata.compression.codec.GroupQuantCodec gq)) {
            throw new IllegalArgumentException("preset stores take a group-quantizing codec (int8, int4, int3, int2), found '" + codec + "'");
        }
        long perExpert = gq.layout(s.hidden(), s.expertInter()).totalBytes();
        return all - experts + (long) s.layers() * s.experts() * perExpert;
    }

    /** The help text's preset list: one line per preset with its shape and size on disk (bf16 and int4). */
    public static String helpTable() {
        StringBuilder b = new StringBuilder();
        for (String n : NAMES) {
            SyntheticCheckpoint.Spec s = spec(n);
            String int4;
            try {
                int4 = String.format(Locale.ROOT, "%6.2f GB int4", bytesOnDisk(n, "int4") / 1e9);
            } catch (IllegalArgumentException e) {
                int4 = "no int4 (rows below one group)";
            }
            b.append(String.format(Locale.ROOT, "  %-18s %-9s %2d layers, hidden %4d, %3d experts x %5d, top-%d, vocab %6d: %7.2f GB bf16, %s%n",
                    n, s.arch().modelType, s.layers(), s.hidden(), s.experts(), s.expertInter(), s.topK(), s.vocab(),
                    bytesOnDisk(n, "checkpoint") / 1e9, int4));
        }
        return b.toString();
    }

    /**
     * The folder of a preset in a codec under cacheDir, written on first use.
     *
     * @param codec {@code checkpoint} (bf16 safetensors folder) or a group-quantizing codec (packed store)
     */
    public static Path materialize(String name, String codec, Path cacheDir, PrintStream log) throws IOException {
        SyntheticCheckpoint.Spec s = spec(name);
        boolean ckpt = codec == null || codec.equals("checkpoint");
        Path dir = cacheDir.resolve("synthetic-" + name.replace('@', '-') + (ckpt ? "" : "-" + codec));
        if (Files.exists(dir)) return dir;
        Files.createDirectories(cacheDir);
        long bytes = bytesOnDisk(name, codec);
        long free = Files.getFileStore(cacheDir).getUsableSpace();
        if (bytes > free) {
            throw new IOException(String.format(Locale.ROOT, "preset %s (%s) needs %.1f GB but %s has %.1f GB free", name, ckpt ? "bf16 checkpoint" : codec,
                    bytes / 1e9, cacheDir, free / 1e9));
        }
        if (bytes > WARN_BYTES) {
            log.printf(Locale.ROOT, "warning: writing %.1f GB to %s (%.1f GB free); this takes minutes%n", bytes / 1e9, dir, free / 1e9);
        }
        long t0 = System.nanoTime();
        log.printf(Locale.ROOT, "writing synthetic %s as a %s (%.2f GB) to %s%n", name, ckpt ? "bf16 checkpoint" : codec + " store", bytes / 1e9, dir);
        if (ckpt) SyntheticCheckpoint.write(s, dir, null);
        else SyntheticStore.write(s, codec, dir, false);
        log.printf(Locale.ROOT, "written in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return dir;
    }
}
