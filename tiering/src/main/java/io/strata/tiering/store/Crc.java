// CRC32C over off-heap memory (in ≤ 1 GiB chunks: ByteBuffer views are int-sized).
package io.strata.tiering.store;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

public final class Crc {
    private static final long CHUNK = 1L << 30;

    private Crc() {}

    public static long crc32c(MemorySegment data) {
        CRC32C c = new CRC32C();
        update(c, data);
        return c.getValue();
    }

    public static void update(CRC32C c, MemorySegment data) {
        for (long off = 0; off < data.byteSize(); off += CHUNK) {
            c.update(data.asSlice(off, Math.min(CHUNK, data.byteSize() - off)).asByteBuffer());
        }
    }

    /** Updates with {@code n} zero bytes (padding). */
    public static void updateZeros(CRC32C c, long n) {
        byte[] z = new byte[(int) Math.min(n, 65536)];
        while (n > 0) {
            int k = (int) Math.min(n, z.length);
            c.update(z, 0, k);
            n -= k;
        }
    }

    public static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }
}
