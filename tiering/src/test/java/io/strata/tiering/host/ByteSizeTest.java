// Byte sizes with units.
package io.strata.tiering.host;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void parsesUnits() {
        assertEquals(11L << 30, ByteSize.parse("11GiB"));
        assertEquals(512L << 20, ByteSize.parse("512MiB"));
        assertEquals((long) (3.5 * (1L << 30)), ByteSize.parse("3.5G"));
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(4096, ByteSize.parse("4096B"));
        assertEquals(2_000_000_000L, ByteSize.parse("2GB"));
        assertEquals(64L << 10, ByteSize.parse(" 64 k "));
        assertEquals(1L << 40, ByteSize.parse("1TiB"));
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("12 parsecs"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("-1G"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(""));
    }

    @Test
    void formats() {
        assertEquals("1.50 GiB", ByteSize.format(3L << 29));
        assertEquals("100 B", ByteSize.format(100));
    }
}
