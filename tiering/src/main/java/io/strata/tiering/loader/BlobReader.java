// Reads byte ranges of blob files into aligned memory, with O_DIRECT where the file system allows it.
package io.strata.tiering.loader;

import com.sun.nio.file.ExtendedOpenOption;
import io.strata.tiering.store.StoreIo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One read-only channel per file, shared by the loader threads (positional reads are thread-safe).
 *
 * <p>Why O_DIRECT: expert loads are large, read once per residency, and the host tier is already the cache; going
 * through the page cache would copy every byte twice and let the kernel hold a second, unbudgeted copy of the
 * model. Direct reads need the buffer address, file offset and length aligned to the file system's block size;
 * the store guarantees 4 KiB alignment of all three. Where the file system refuses O_DIRECT (tmpfs, some overlay
 * mounts) or its block size does not divide 4 KiB, the reader falls back to buffered reads and logs why, once per
 * file.
 */
public final class BlobReader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BlobReader.class.getName());
    private static final long ALIGN = 4096;
    private static final long CHUNK = 1L << 30;

    private record Open(FileChannel channel, boolean direct) {}

    private final boolean wantDirect;
    private final StoreIo io;
    private final ConcurrentHashMap<Path, Open> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Path, String> fallbackReasons = new ConcurrentHashMap<>();

    /** @param direct try O_DIRECT (false: always buffered) */
    public BlobReader(boolean direct) {
        this(direct, StoreIo.DEFAULT);
    }

    /** @param io where files are opened (the file system, or a fault-injecting seam in tests) */
    public BlobReader(boolean direct, StoreIo io) {
        this.wantDirect = direct;
        this.io = io;
    }

    /** True if reads of {@code file} bypass the page cache. */
    public boolean isDirect(Path file) {
        return open(file).direct();
    }

    /** Why {@code file} is read buffered, or null if it is read direct (or not opened yet). */
    public String fallbackReason(Path file) {
        return fallbackReasons.get(file);
    }

    /**
     * Reads {@code [offset, offset + dst.byteSize())} of {@code file} into {@code dst}. For direct reads dst's
     * address, offset and size must be multiples of 4 KiB.
     */
    public void read(Path file, long offset, MemorySegment dst) throws IOException {
        Open o = open(file);
        if (o.direct() && (dst.address() % ALIGN != 0 || offset % ALIGN != 0 || dst.byteSize() % ALIGN != 0)) {
            throw new IllegalArgumentException(file + ": direct read needs 4 KiB aligned address, offset and length; found "
                    + "address " + dst.address() + " offset " + offset + " length " + dst.byteSize());
        }
        try {
            readFully(o.channel(), file, offset, dst);
        } catch (IOException e) {
            if (!o.direct()) {
                throw e;
            }
            // Some file systems accept O_DIRECT at open and refuse it at read time (EINVAL).
            Open b = new Open(io.open(file, StandardOpenOption.READ), false);
            fallback(file, "direct read failed: " + e.getMessage());
            Open prev = files.put(file, b);
            if (prev != null) {
                prev.channel().close();
            }
            readFully(b.channel(), file, offset, dst);
        }
    }

    /**
     * Reads {@code [offset, offset + dst.byteSize())} of the open channel {@code ch} into {@code dst}, in chunks a
     * ByteBuffer can address; fails naming {@code file} when the file ends first.
     */
    public static void readFully(FileChannel ch, Path file, long offset, MemorySegment dst) throws IOException {
        for (long off = 0; off < dst.byteSize(); off += CHUNK) {
            ByteBuffer b = dst.asSlice(off, Math.min(CHUNK, dst.byteSize() - off)).asByteBuffer();
            long pos = offset + off;
            while (b.hasRemaining()) {
                int n = ch.read(b, pos);
                if (n < 0) {
                    throw new IOException(file + ": end of file at offset " + pos + " while reading " + dst.byteSize()
                            + " bytes from offset " + offset + " (truncated)");
                }
                pos += n;
            }
        }
    }

    private Open open(Path file) {
        return files.computeIfAbsent(file, f -> {
            try {
                if (wantDirect) {
                    long block = Files.getFileStore(f).getBlockSize();
                    if (ALIGN % block != 0) {
                        fallback(f, "file system block size " + block + " does not divide 4096");
                    } else {
                        try {
                            return new Open(io.open(f, StandardOpenOption.READ, ExtendedOpenOption.DIRECT), true);
                        } catch (IOException | UnsupportedOperationException e) {
                            fallback(f, "O_DIRECT refused: " + e);
                        }
                    }
                } else {
                    fallbackReasons.put(f, "direct I/O disabled by configuration");
                }
                return new Open(io.open(f, StandardOpenOption.READ), false);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("opening blob file " + f, e);
            }
        });
    }

    private void fallback(Path f, String why) {
        fallbackReasons.put(f, why);
        LOG.log(System.Logger.Level.WARNING, "reading " + f + " through the page cache (buffered): " + why);
    }

    @Override
    public void close() {
        for (Open o : files.values()) {
            try {
                o.channel().close();
            } catch (IOException ignored) {
                // closing a read-only channel: nothing to lose
            }
        }
        files.clear();
    }
}
