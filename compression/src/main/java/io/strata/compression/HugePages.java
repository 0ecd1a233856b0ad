// Native memory for weights in 2 MiB pages where Linux grants them (transparent huge pages), and what share got them.
package io.strata.compression;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Weights are read once per token, front to back, at the memory's rate; with 4 KiB pages such a pass misses the TLB
 * every 4 KiB. On the Zen 4 VM the one-token bf16 kernel over the head's shape [50304, 2048] ran 1.13x faster on one
 * thread and 1.18x on two from memory in 2 MiB pages than in 4 KiB pages, and a decode of the OLMoE-shaped stores
 * 1.02-1.05x (bench/results/cpu-speed/huge-pages/).
 * Memory from {@link Arena#allocate} cannot get them when Linux grants huge pages only on request (the usual
 * {@code madvise} setting): the arena zeroes it, so its pages are faulted in small before anyone can ask.
 * {@link #allocate} maps fresh anonymous memory (zero by definition, nothing touched), aligned to 2 MiB, and asks for
 * huge pages with {@code madvise(MADV_HUGEPAGE)} first.
 *
 * <p>The mapping is the requested size rounded up to 4 KiB only: a huge page needs a whole aligned 2 MiB inside it, so
 * the tail short of one is served in small pages and the resident size never exceeds what was asked (budgets stay
 * hard). The segment is a plain native segment, the class the kernels are compiled for, and is unmapped when its
 * arena closes. Elsewhere (not Linux, huge pages set to {@code never}, native access not enabled for this code, a
 * failed mapping, or {@code -Dstrata.hugePages=false}) it is {@code arena.allocate}, and {@link #status} says why.
 */
public final class HugePages {
    private HugePages() {}

    /** 2 MiB: the x86-64 and arm64 (4 KiB granule) huge page. */
    public static final long HUGE = 2L << 20;
    private static final long PAGE = 4096;
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_HUGEPAGE = 14;
    private static final System.Logger LOG = System.getLogger("strata.memory");

    private record Native(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {}

    private static final Native NATIVE;
    private static final String STATUS;

    static {
        Native n = null;
        String why;
        String thp = readFirstLine(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            why = "not Linux";
        } else if (thp == null) {
            why = "no /sys/kernel/mm/transparent_hugepage/enabled";
        } else if (thp.contains("[never]")) {
            why = "transparent huge pages are off (" + thp.trim() + ")";
        } else if (!HugePages.class.getModule().isNativeAccessEnabled()) {
            why = "native access is not enabled for this code (java --enable-native-access=ALL-UNNAMED)";
        } else {
            try {
                Linker lk = Linker.nativeLinker();
                var lookup = lk.defaultLookup();
                n = new Native(
                        lk.downcallHandle(lookup.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)),
                        lk.downcallHandle(lookup.find("munmap").orElseThrow(),
                                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)),
                        lk.downcallHandle(lookup.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)));
                why = "2 MiB pages requested with madvise (transparent huge pages: " + thp.trim() + ")";
            } catch (RuntimeException | LinkageError e) {
                why = "mmap/madvise not reachable: " + e;
            }
        }
        NATIVE = n;
        STATUS = why;
        // said once; a fallback at INFO, since a user can often change it (the JVM flag, the kernel setting)
        LOG.log(n == null ? System.Logger.Level.INFO : System.Logger.Level.DEBUG, "weights in memory: " + (n == null ? "4 KiB pages: " : "") + why);
    }

    /** Set to {@code false} ({@code -Dstrata.hugePages=false}), {@link #allocate} is plain arena memory; read at each call. */
    public static final String PROPERTY = "strata.hugePages";

    /** Whether {@link #allocate} asks for huge pages in this process now. */
    public static boolean available() {
        return NATIVE != null && !"false".equalsIgnoreCase(System.getProperty(PROPERTY));
    }

    /** How {@link #allocate} gets its memory here, and why (for logs and benchmark reports). */
    public static String status() {
        return NATIVE != null && !available() ? "4 KiB pages: -D" + PROPERTY + "=false" : STATUS;
    }

    /**
     * {@code bytes} of zeroed native memory aligned to {@code alignment}, in huge pages where granted (see the class
     * comment), released when {@code arena} closes. Below one huge page, or with an alignment above 2 MiB, it is
     * {@code arena.allocate(bytes, alignment)}.
     */
    public static MemorySegment allocate(Arena arena, long bytes, long alignment) {
        if (!available() || bytes < HUGE || alignment > HUGE) return arena.allocate(bytes, alignment);
        long size = (bytes + PAGE - 1) / PAGE * PAGE;
        try {
            MemorySegment raw = (MemorySegment) NATIVE.mmap.invokeExact(MemorySegment.NULL, size + HUGE, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw.address() == -1L) { // MAP_FAILED
                LOG.log(System.Logger.Level.WARNING, "mmap of " + (size + HUGE) + " bytes failed; using the arena");
                return arena.allocate(bytes, alignment);
            }
            long start = (raw.address() + HUGE - 1) / HUGE * HUGE, end = raw.address() + size + HUGE;
            // keep [start, start + size): the 2 MiB-aligned part; give back the rest at both ends
            if (start > raw.address()) unmap(raw.address(), start - raw.address());
            if (end > start + size) unmap(start + size, end - start - size);
            MemorySegment m = MemorySegment.ofAddress(start).reinterpret(size);
            int rc = (int) NATIVE.madvise.invokeExact(m, size, MADV_HUGEPAGE);
            if (rc != 0) LOG.log(System.Logger.Level.DEBUG, "madvise(MADV_HUGEPAGE) of " + size + " bytes returned " + rc);
            // Committed now, as the arena's zeroing commits its memory: the huge pages are taken here, not by a fault
            // in the middle of a decode step, and a machine short of memory says so at allocation.
            for (long o = 0; o < size; o += PAGE) m.set(ValueLayout.JAVA_BYTE, o, (byte) 0);
            return m.reinterpret(bytes, arena, s -> unmap(start, size));
        } catch (Throwable t) {
            throw new IllegalStateException("mapping " + bytes + " bytes of native memory: " + t, t);
        }
    }

    /**
     * Asks for huge pages over a mapped file's pages ({@code madvise(MADV_HUGEPAGE)} on the 2 MiB-aligned part of
     * {@code mapped}); best effort, nothing when {@link #available()} is false. Where the file system caches files in
     * large folios (ext4 from Linux 6.16, XFS), a fault in such a mapping reads the file in 2 MiB folios and maps them
     * whole, whatever the order of the first reads. Without it a checkpoint's first load, tensor by tensor, left it in
     * 4 KiB pages (bench/results/cpu-speed/huge-pages/). A page cache already filled in small folios stays as it is.
     */
    public static void adviseMapped(MemorySegment mapped) {
        if (!available() || mapped.byteSize() < HUGE) return;
        long start = (mapped.address() + HUGE - 1) / HUGE * HUGE, end = (mapped.address() + mapped.byteSize()) / HUGE * HUGE;
        if (end <= start) return;
        try {
            int rc = (int) NATIVE.madvise.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_HUGEPAGE);
            if (rc != 0) LOG.log(System.Logger.Level.DEBUG, "madvise(MADV_HUGEPAGE) of a mapped file returned " + rc);
        } catch (Throwable t) {
            throw new IllegalStateException("madvise: " + t, t);
        }
    }

    private static void unmap(long address, long size) {
        try {
            int rc = (int) NATIVE.munmap.invokeExact(MemorySegment.ofAddress(address), size);
            if (rc != 0) LOG.log(System.Logger.Level.WARNING, "munmap of " + size + " bytes at 0x" + Long.toHexString(address) + " returned " + rc);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap: " + t, t);
        }
    }

    /**
     * The share of this process's resident memory held in huge pages, anonymous ({@code AnonHugePages}) and mapped
     * file ({@code FilePmdMapped}), from {@code /proc/self/smaps_rollup}; NaN where that file is missing. A benchmark
     * reports it: a mapped checkpoint whose page cache was filled by small writes stays in 4 KiB pages, and a pass
     * over it runs slower than over the same file read cold (bench/results/cpu-speed/huge-pages/).
     */
    public static double residentShare() {
        try {
            long rss = 0, huge = 0;
            for (String l : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
                String[] f = l.trim().split("\\s+");
                if (f.length < 2) continue;
                switch (f[0]) {
                    case "Rss:" -> rss = Long.parseLong(f[1]);
                    case "AnonHugePages:", "FilePmdMapped:", "ShmemPmdMapped:" -> huge += Long.parseLong(f[1]);
                    default -> { }
                }
            }
            return rss == 0 ? Double.NaN : (double) huge / rss;
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * The {@code /proc/self/smaps} blocks of this process's mappings that overlap [lo, hi): each the mapping's header
     * line ({@code start-end perms ...}) and its field lines ({@code Rss:}, {@code FilePmdMapped:}, {@code VmFlags:} ...),
     * in address order. What a mapping got (huge pages, advice, resident size) is read from these.
     */
    public static List<List<String>> smaps(long lo, long hi) throws java.io.IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        List<List<String>> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            long[] range = mappingRange(lines.get(i));
            if (range == null || range[1] <= lo || range[0] >= hi) continue;
            int j = i + 1;
            while (j < lines.size() && mappingRange(lines.get(j)) == null) j++;
            blocks.add(lines.subList(i, j));
        }
        return blocks;
    }

    /** An smaps header line: {@code start-end perms ...} in hexadecimal. */
    private static final java.util.regex.Pattern MAPPING = java.util.regex.Pattern.compile("^[0-9a-f]+-[0-9a-f]+ .*");

    /** {start, end} of an smaps header line ({@code 7f00-7f20 rw-p ...}), or null for a field line. */
    public static long[] mappingRange(String smapsLine) {
        if (!MAPPING.matcher(smapsLine).matches()) return null;
        int dash = smapsLine.indexOf('-'), space = smapsLine.indexOf(' ');
        return new long[] {Long.parseUnsignedLong(smapsLine, 0, dash, 16), Long.parseUnsignedLong(smapsLine, dash + 1, space, 16)};
    }

    private static String readFirstLine(Path p) {
        try {
            return Files.isReadable(p) ? Files.readAllLines(p).stream().findFirst().orElse(null) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
