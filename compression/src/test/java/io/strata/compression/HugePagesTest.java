package io.strata.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HugePagesTest {
    /** The /proc/self/smaps block of the mapping that contains address, or null when none does. */
    static List<String> smapsOf(long address) throws IOException {
        List<List<String>> blocks = HugePages.smaps(address, address + 1);
        return blocks.isEmpty() ? null : blocks.get(0);
    }

    @Test
    void statusSaysWhy() {
        assertNotNull(HugePages.status());
        assertFalse(HugePages.status().isBlank());
    }

    @Test
    void smallOrOveralignedRequestsAreArenaMemory() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(a, 4096 * 3 + 5, 64);
            assertEquals(4096 * 3 + 5, s.byteSize());
            for (long i = 0; i < s.byteSize(); i++) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
            MemorySegment big = HugePages.allocate(a, 3L << 20, 4L << 20);
            assertEquals(0, big.address() % (4L << 20), "an alignment above 2 MiB is honoured (by the arena)");
        }
    }

    @Test
    void largeRequestsAreZeroedWritableAlignedAndExactlySized() throws IOException {
        long bytes = (5L << 20) + 123;
        long address;
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = HugePages.allocate(a, bytes, 4096);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % 4096);
            for (long i = 0; i < bytes; i += 997) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "fresh memory reads zero at " + i);
            for (long i = 0; i + 8 <= bytes; i += 4096) s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 31 + 7);
            for (long i = 0; i + 8 <= bytes; i += 4096) assertEquals(i * 31 + 7, s.get(ValueLayout.JAVA_LONG_UNALIGNED, i));
            address = s.address();
            assumeTrue(HugePages.available(), "huge pages not requested here: " + HugePages.status());
            assertEquals(0, address % HugePages.HUGE, "2 MiB aligned, so its whole 2 MiB spans can be huge pages");
            List<String> block = smapsOf(address);
            assertNotNull(block, "a mapping holds the segment");
            long[] r = HugePages.mappingRange(block.get(0));
            // the kernel may merge it with a neighbouring mapping of the same kind, so look at the segment's own span
            assertTrue(r[0] <= address && r[1] >= address + (bytes + 4095) / 4096 * 4096, "mapped: " + block.get(0));
            String flags = block.stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElse("");
            assertTrue(flags.contains(" hg"), "madvise(MADV_HUGEPAGE) is recorded on the mapping: " + flags);
        }
        List<String> after = smapsOf(address);
        assertTrue(after == null || !after.stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElse("").contains(" hg"),
                "unmapped when the arena closed");
    }

    @Test
    void memoryIsCommittedAtAllocationAsTheArenasIs() throws IOException {
        assumeTrue(HugePages.available(), "huge pages not requested here: " + HugePages.status());
        long bytes = 6L << 20;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(a, bytes, 4096);
            List<String> block = smapsOf(s.address());
            long rssKb = block.stream().filter(l -> l.startsWith("Rss:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).sum();
            assertTrue(rssKb * 1024 >= bytes, "resident before any use: " + rssKb + " kB of " + bytes / 1024);
        }
    }

    @Test
    void theMappingEndsAtTheRequestRoundedToAPage() throws IOException {
        assumeTrue(HugePages.available(), "huge pages not requested here: " + HugePages.status());
        // the tail short of a whole 2 MiB stays in small pages, so resident memory never exceeds the request rounded
        // to a page: 3 MiB + 5 bytes maps 3 MiB + 4 KiB, not 4 MiB
        long bytes = (3L << 20) + 5;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(a, bytes, 4096);
            s.fill((byte) 1);
            List<String> block = smapsOf(s.address() + bytes - 1);
            assertEquals(s.address() + (3L << 20) + 4096, HugePages.mappingRange(block.get(0))[1], "the mapping ends one page past the request's last byte");
        }
    }

    @Test
    void thePropertyTurnsThemOff() throws IOException {
        assumeTrue(HugePages.available(), "huge pages not requested here: " + HugePages.status());
        String before = System.getProperty(HugePages.PROPERTY);
        System.setProperty(HugePages.PROPERTY, "false");
        try (Arena a = Arena.ofConfined()) {
            assertFalse(HugePages.available());
            assertTrue(HugePages.status().contains(HugePages.PROPERTY + "=false"), HugePages.status());
            MemorySegment s = HugePages.allocate(a, 4L << 20, 4096);
            s.fill((byte) 2);
            String flags = smapsOf(s.address()).stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElse("");
            assertFalse(flags.contains(" hg"), "arena memory, not advised: " + flags);
        } finally {
            if (before == null) System.clearProperty(HugePages.PROPERTY);
            else System.setProperty(HugePages.PROPERTY, before);
        }
        assertTrue(HugePages.available());
    }

    @Test
    void aMappedFileSeenAsNativeIsAdvised(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        assumeTrue(HugePages.available(), "huge pages not requested here: " + HugePages.status());
        Path f = tmp.resolve("weights.bin");
        Files.write(f, new byte[(5 << 20) + 77]);
        try (Arena a = Arena.ofShared(); var ch = java.nio.channels.FileChannel.open(f)) {
            MemorySegment m = MappedSegments.asNative(ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), a), a);
            // its 2 MiB-aligned part is advised; the kernel splits the mapping there, so look inside that part
            long inside = (m.address() + HugePages.HUGE - 1) / HugePages.HUGE * HugePages.HUGE;
            String flags = smapsOf(inside).stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElse("");
            assertTrue(flags.contains(" hg"), "madvise(MADV_HUGEPAGE) on the mapping: " + flags);
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, m.byteSize() - 1));
        }
    }

    @Test
    void residentShareIsAFraction() {
        double f = HugePages.residentShare();
        assumeTrue(!Double.isNaN(f), "no /proc/self/smaps_rollup here");
        assertTrue(f >= 0 && f <= 1, "share " + f);
    }
}
