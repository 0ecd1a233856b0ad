// Reads one GGUF file (v2/v3): header, metadata, tensor infos; every count and length checked against the file size.
package io.strata.engine.checkpoint.gguf;

import io.strata.compression.ggml.GgmlType;
import io.strata.engine.checkpoint.CheckpointException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Format (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count; then
 * the metadata (string key, u32 value type, value), then per tensor: string name, u32 n_dims,
 * u64 ne[n_dims], u32 ggml type, u64 offset; then padding to {@code general.alignment} (default
 * 32) and the tensor data, each tensor at its offset from the data start (a multiple of the
 * alignment). A string is a u64 byte length and UTF-8 bytes; an array is a u32 element type,
 * a u64 count and the elements.
 *
 * <p>Nothing is allocated from a count or length before it is checked against the bytes left
 * in the file: a metadata array claiming 2^60 elements fails at once, naming file and key.
 */
public final class GgufFile {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    public static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;
    private static final String[] TYPE_NAMES = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
            "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
    /** Smallest encoding of one value of each type (a string or array is at least its length field). */
    private static final int[] MIN_BYTES = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    public static final int DEFAULT_ALIGNMENT = 32;

    private final Path path;
    private final int version;
    private final Map<String, Object> metadata;
    private final List<GgufTensor> tensors;
    private final int alignment;

    private GgufFile(Path path, int version, Map<String, Object> metadata, List<GgufTensor> tensors, int alignment) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
    }

    public static String typeName(int t) {
        return t >= 0 && t < TYPE_NAMES.length ? TYPE_NAMES[t] : "unknown type " + t;
    }

    /** Maps path into arena (its lifetime bounds the tensors' data) and parses everything but the data. */
    public static GgufFile open(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment map = size == 0 ? MemorySegment.ofArray(new byte[0])
                    : io.strata.compression.MappedSegments.asNative(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), arena);
            return parse(path, map);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    static GgufFile parse(Path path, MemorySegment map) {
        Cursor c = new Cursor(path, map);
        c.need(4 + 4 + 8 + 8, "the GGUF header (magic, version, tensor count, metadata count)");
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw new CheckpointException(path + ": not a GGUF file: magic 0x" + Integer.toHexString(magic) + ", expected 0x"
                    + Integer.toHexString(MAGIC) + " (\"GGUF\")");
        }
        int version = c.u32("version");
        if (version != 2 && version != 3) {
            throw new CheckpointException(path + ": GGUF version " + version + " is not supported (expected 2 or 3)");
        }
        long nTensors = c.u64("tensor count"), nKv = c.u64("metadata count");
        // Each metadata entry is at least a key length (8), a type (4) and one byte; each tensor info 24 bytes.
        c.count(nKv, 13, "metadata entries");
        c.count(nTensors, 24, "tensor infos");
        Map<String, Object> meta = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string("metadata key " + i);
            int type = c.u32("value type of metadata '" + key + "'");
            Object v = c.value(type, "metadata '" + key + "'", 0);
            if (meta.put(key, v) != null) throw new CheckpointException(path + ": metadata key '" + key + "' appears twice");
        }
        int alignment = DEFAULT_ALIGNMENT;
        Object al = meta.get("general.alignment");
        if (al != null) {
            if (!(al instanceof Long a) || a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) {
                throw new CheckpointException(path + ": general.alignment " + al + " must be a power of two");
            }
            alignment = (int) (long) a;
        }
        record Info(String name, GgmlType type, long[] ne, long offset, long bytes) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("name of tensor " + i);
            int nd = c.u32("n_dims of tensor " + name);
            if (nd < 1 || nd > MAX_DIMS) {
                throw new CheckpointException(path + ": tensor " + name + " has " + Integer.toUnsignedString(nd) + " dimensions, expected 1 to " + MAX_DIMS);
            }
            long[] ne = new long[nd];
            long numel = 1;
            for (int d = 0; d < nd; d++) {
                ne[d] = c.u64("dimension " + d + " of tensor " + name);
                if (ne[d] < 0 || (ne[d] != 0 && numel > Long.MAX_VALUE / ne[d])) {
                    throw new CheckpointException(path + ": tensor " + name + " has an absurd dimension " + Long.toUnsignedString(ne[d]));
                }
                numel *= ne[d];
            }
            int typeId = c.u32("type of tensor " + name);
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw new CheckpointException(path + ": tensor " + name + " has unknown ggml type " + Integer.toUnsignedString(typeId));
            }
            long offset = c.u64("offset of tensor " + name);
            long bytes;
            try {
                bytes = type.bytesFor(ne[0], numel);
            } catch (ArithmeticException e) {
                bytes = -2;
            }
            if (bytes == -1) {
                throw new CheckpointException(path + ": tensor " + name + " " + type + " " + java.util.Arrays.toString(ne) + ": first dimension "
                        + ne[0] + " is not a multiple of the block size " + type.blockSize);
            }
            if (bytes < 0) throw new CheckpointException(path + ": tensor " + name + " is absurdly large: " + java.util.Arrays.toString(ne));
            infos.add(new Info(name, type, ne, offset, bytes));
        }
        long dataStart = (c.pos + alignment - 1) / alignment * alignment;
        long size = map.byteSize();
        List<GgufTensor> tensors = new ArrayList<>();
        Map<String, Info> seen = new LinkedHashMap<>();
        for (Info t : infos) {
            if (seen.put(t.name, t) != null) throw new CheckpointException(path + ": tensor " + t.name + " appears twice");
            if (t.offset < 0 || t.offset % alignment != 0) {
                throw new CheckpointException(path + ": tensor " + t.name + " has offset " + Long.toUnsignedString(t.offset)
                        + ", expected a multiple of the alignment " + alignment);
            }
            if (t.offset > size - dataStart || t.bytes > size - dataStart - t.offset) {
                throw new CheckpointException(path + ": truncated: tensor " + t.name + " (" + t.type + " " + java.util.Arrays.toString(t.ne)
                        + ", " + t.bytes + " bytes at data offset " + t.offset + ") ends at byte " + (dataStart + t.offset + t.bytes)
                        + " but the file has " + size + " bytes");
            }
            tensors.add(new GgufTensor(t.name, path, t.type, t.ne, map.asSlice(dataStart + t.offset, t.bytes)));
        }
        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.removeIf(t -> t.bytes == 0);
        byOffset.sort(Comparator.comparingLong(Info::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Info a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.offset < a.offset + a.bytes) {
                throw new CheckpointException(path + ": tensors " + a.name + " (bytes [" + a.offset + ", " + (a.offset + a.bytes) + ")) and "
                        + b.name + " (bytes [" + b.offset + ", " + (b.offset + b.bytes) + ")) overlap");
            }
        }
        return new GgufFile(path, version, Collections.unmodifiableMap(meta), Collections.unmodifiableList(tensors), alignment);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Key to value: Long (every integer type), Float, Double, Boolean, String or {@link GgufArray}. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    public List<GgufTensor> tensors() {
        return tensors;
    }

    /** A bounds-checked little-endian reader over the mapping; every failure names the file and what was being read. */
    private static final class Cursor {
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        /** Nested arrays deeper than this are refused (no real file nests more than once). */
        private static final int MAX_DEPTH = 8;
        final Path path;
        final MemorySegment m;
        long pos;

        Cursor(Path path, MemorySegment m) {
            this.path = path;
            this.m = m;
        }

        long remaining() {
            return m.byteSize() - pos;
        }

        void need(long n, String what) {
            if (n < 0 || n > remaining()) {
                throw new CheckpointException(path + ": truncated GGUF file: " + what + " needs " + Long.toUnsignedString(n)
                        + " bytes at offset " + pos + " but the file has " + m.byteSize() + " bytes");
            }
        }

        /** A count of items of at least minBytes each must fit in the rest of the file. */
        void count(long n, int minBytes, String what) {
            if (n < 0 || n > remaining() / minBytes) {
                throw new CheckpointException(path + ": " + Long.toUnsignedString(n) + " " + what + " at offset " + pos
                        + " cannot fit: they need at least " + minBytes + " bytes each and " + remaining() + " bytes remain of "
                        + m.byteSize());
            }
        }

        int u8(String what) {
            need(1, what);
            return m.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
        }

        short u16(String what) {
            need(2, what);
            short v = m.get(I16, pos);
            pos += 2;
            return v;
        }

        int u32(String what) {
            need(4, what);
            int v = m.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = m.get(I64, pos);
            pos += 8;
            return v;
        }

        private final java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        String string(String what) {
            return string(what, -1);
        }

        /**
         * A string; when index >= 0 it is element index of the array what (the message is only
         * built on failure: vocabularies hold hundreds of thousands of strings).
         */
        String string(String what, int index) {
            if (remaining() < 8) need(8, "length of " + label(what, index));
            long len = m.get(I64, pos);
            pos += 8;
            if (len < 0 || len > remaining()) need(len, label(what, index) + " (a string of " + Long.toUnsignedString(len) + " bytes)");
            byte[] b = m.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            boolean ascii = true;
            for (byte x : b) {
                if (x < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) return new String(b, StandardCharsets.ISO_8859_1);
            try {
                return utf8.reset().decode(java.nio.ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new CheckpointException(path + ": " + label(what, index) + " at offset " + (pos - len) + " is not valid UTF-8");
            }
        }

        private static String label(String what, int index) {
            return index < 0 ? what : what + " element " + index;
        }

        Object value(int type, String what, int depth) {
            return switch (type) {
                case UINT8 -> (long) u8(what);
                case INT8 -> (long) (byte) u8(what);
                case UINT16 -> (long) (u16(what) & 0xFFFF);
                case INT16 -> (long) u16(what);
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> (long) u32(what);
                case UINT64, INT64 -> u64(what);
                case FLOAT32 -> Float.intBitsToFloat(u32(what));
                case FLOAT64 -> Double.longBitsToDouble(u64(what));
                case BOOL -> {
                    int b = u8(what);
                    if (b > 1) throw new CheckpointException(path + ": " + what + ": bool value " + b + " at offset " + (pos - 1) + ", expected 0 or 1");
                    yield b == 1;
                }
                case STRING -> string(what);
                case ARRAY -> array(what, depth);
                default -> throw new CheckpointException(path + ": " + what + " has unknown value type " + Integer.toUnsignedString(type)
                        + " at offset " + (pos - 4) + " (expected 0 to 12)");
            };
        }

        /** An integer element without boxing (token types arrays are as long as the vocabulary). */
        long integer(int type, String what) {
            return switch (type) {
                case UINT8 -> u8(what);
                case INT8 -> (byte) u8(what);
                case UINT16 -> u16(what) & 0xFFFF;
                case INT16 -> u16(what);
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> u32(what);
                default -> u64(what);
            };
        }

        GgufArray array(String what, int depth) {
            if (depth >= MAX_DEPTH) throw new CheckpointException(path + ": " + what + ": arrays nested deeper than " + MAX_DEPTH);
            int et = u32("element type of " + what);
            if (et < 0 || et >= MIN_BYTES.length) {
                throw new CheckpointException(path + ": " + what + ": array of unknown value type " + Integer.toUnsignedString(et)
                        + " (expected 0 to 12)");
            }
            long n = u64("length of " + what);
            // Checked before any allocation: a claimed 2^60 elements fails here.
            count(n, MIN_BYTES[et], "elements of " + typeName(et) + " in " + what);
            if (n > Integer.MAX_VALUE - 8) throw new CheckpointException(path + ": " + what + ": array of " + n + " elements is too long");
            int len = (int) n;
            String el = what + " element ";
            switch (et) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                    long[] v = new long[len];
                    for (int i = 0; i < len; i++) v[i] = integer(et, what);
                    return new GgufArray(et, v, len);
                }
                case FLOAT32 -> {
                    float[] v = new float[len];
                    for (int i = 0; i < len; i++) v[i] = Float.intBitsToFloat(u32(what));
                    return new GgufArray(et, v, len);
                }
                case FLOAT64 -> {
                    double[] v = new double[len];
                    for (int i = 0; i < len; i++) v[i] = Double.longBitsToDouble(u64(what));
                    return new GgufArray(et, v, len);
                }
                case BOOL -> {
                    boolean[] v = new boolean[len];
                    for (int i = 0; i < len; i++) v[i] = (Boolean) value(BOOL, what, depth);
                    return new GgufArray(et, v, len);
                }
                case STRING -> {
                    String[] v = new String[len];
                    for (int i = 0; i < len; i++) v[i] = string(what, i);
                    return new GgufArray(et, v, len);
                }
                default -> {
                    GgufArray[] v = new GgufArray[len];
                    for (int i = 0; i < len; i++) v[i] = array(el + i, depth + 1);
                    return new GgufArray(et, v, len);
                }
            }
        }
    }
}
