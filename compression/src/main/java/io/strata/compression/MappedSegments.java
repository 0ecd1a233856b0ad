// Mapped file memory seen as plain native memory, so weight kernels meet one segment class.
package io.strata.compression;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A mapped file ({@code FileChannel.map}) gives a segment of the JDK's mapped class, the host tier and native arenas
 * give the plain native class, and the kernels' memory accesses are compiled for the classes they have met. A process
 * that serves weights from both (a checkpoint folder and a store, one after the other in one {@code strata bench}, or a
 * server that loads both) then runs its kernels bimorphic: in a kernel-only trial on the 2-core VM a JVM that had met
 * both classes read weights 15–20 % slower than one that had met one (`bench/results/cpu-speed/session-3/
 * dense-in-memory-ab.txt`), and tiny-moe's prefill after two OLMoE-shaped models in one bench ran at about 0.7 of its
 * speed alone. {@link #asNative} views the same pages as a plain native segment instead. It is read-only, as the
 * mapping, and lives as long as the arena that unmaps it. The view forgoes the mapped class's {@code load()},
 * {@code force()} and {@code isLoaded()}, which weight reads do not use.
 */
public final class MappedSegments {
    private MappedSegments() {}

    /** The pages of {@code mapped} as a read-only native segment bound to {@code arena} (the mapping's own arena). */
    public static MemorySegment asNative(MemorySegment mapped, Arena arena) {
        if (mapped.byteSize() == 0 || !mapped.isNative()) return mapped;
        HugePages.adviseMapped(mapped); // weights: read in 2 MiB pages where the file system allows (see there)
        return MemorySegment.ofAddress(mapped.address()).reinterpret(mapped.byteSize(), arena, null).asReadOnly();
    }
}
