// The GPT-2 byte-to-unicode table used by byte-level BPE: every byte 0..255 is shown as one printable
// character so that vocabulary entries are plain strings ("Ġ" is the space byte 0x20).
package io.strata.engine.tokenizer;

import java.nio.charset.StandardCharsets;

final class ByteLevel {
    /** (256) the character that stands for each byte value. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** (65536) the byte value each stand-in character means, or -1 for characters that are not stand-ins. */
    private static final short[] CHAR_TO_BYTE = new short[65536];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {}

    /** The UTF-8 bytes of {@code s}, each written as its stand-in character. */
    static String encode(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a stand-in character means, or -1. */
    static int byteOf(char c) {
        return CHAR_TO_BYTE[c];
    }
}
