// Reads weight files through once, in order, and says what share of each the page cache maps in 2 MiB pages.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.strata.compression.HugePages;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A side-by-side maps its weight files on both sides (Strata's checkpoint folder, llama.cpp's GGUF files). A mapped
 * file's pages are 2 MiB where its page cache holds large folios (Linux 6.16+ on ext4, and XFS, read a file into them
 * when it is read in order; a writer's small writes or scattered first reads leave 4 KiB folios), and a pass over
 * weights in 2 MiB pages runs faster (bench/results/cpu-speed/huge-pages/). So before the rounds each file is read
 * through here once, in order, without advice: a cold file comes into the cache in large folios for whichever side
 * maps it, a warm one stays as it is, and the report says what each got ({@code FilePmdMapped} of the mapping over
 * its size, from {@code /proc/self/smaps}).
 *
 * <p>Usage: {@code PageCacheState FILE... [--json OUT]}; one line per file on stdout.
 */
public final class PageCacheState {
    private PageCacheState() {}

    public record FileState(String file, long bytes, long hugeMappedBytes, double share) {}

    public static void main(String[] args) throws IOException {
        List<Path> files = new ArrayList<>();
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) json = Path.of(args[++i]);
            else files.add(Path.of(args[i]));
        }
        if (files.isEmpty()) throw new IllegalArgumentException("usage: PageCacheState FILE... [--json OUT]");
        List<FileState> states = new ArrayList<>();
        for (Path f : files) {
            FileState s = readThrough(f);
            states.add(s);
            System.out.printf(Locale.ROOT, "%s: %.1f MiB, %.0f %% mapped in 2 MiB pages%n", f, s.bytes() / 1048576.0, 100 * s.share());
        }
        if (json != null) {
            ObjectMapper om = new ObjectMapper();
            ArrayNode a = om.createArrayNode();
            for (FileState s : states) a.addPOJO(s);
            om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), a);
        }
    }

    /** Maps f, touches each 4 KiB page in order, and reads the mapping's FilePmdMapped. */
    public static FileState readThrough(Path f) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f)) {
            long size = ch.size();
            if (size == 0) return new FileState(f.toString(), 0, 0, 0);
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long sink = 0;
            for (long o = 0; o < size; o += 4096) sink += m.get(ValueLayout.JAVA_BYTE, o);
            if (sink == Long.MIN_VALUE) System.out.print(""); // keeps the reads
            long huge = pmdMappedBytes(m.address(), m.address() + size);
            return new FileState(f.toString(), size, huge, (double) huge / size);
        }
    }

    /** Σ FilePmdMapped (bytes) of the mappings of this process that lie in [lo, hi) (the last page may be partial). */
    static long pmdMappedBytes(long lo, long hi) throws IOException {
        long total = 0;
        for (List<String> block : HugePages.smaps(lo, hi)) {
            long[] range = HugePages.mappingRange(block.get(0));
            if (range[0] < lo || range[1] > hi + 4095) continue;
            for (String l : block) if (l.startsWith("FilePmdMapped:")) total += Long.parseLong(l.replaceAll("\\D", "")) * 1024;
        }
        return total;
    }
}
