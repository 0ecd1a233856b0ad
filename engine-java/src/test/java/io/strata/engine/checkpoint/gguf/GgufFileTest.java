// The GGUF reader: every metadata value type from a file the gguf package wrote, and bad files refused by name.
package io.strata.engine.checkpoint.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.ggml.GgmlType;
import io.strata.engine.checkpoint.CheckpointException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir
    Path tmp;

    /** metadata.gguf was written by tools/gguf-fixtures/make_tiny_gguf.py with the gguf package. */
    @Test
    void everyValueTypeArraysAlignmentAndTensors() throws Exception {
        Path f = Path.of(getClass().getResource("/gguf/metadata.gguf").toURI());
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.open(f, arena);
            Map<String, Object> m = g.metadata();
            assertEquals(3, g.version());
            assertEquals(64, g.alignment());
            assertEquals("test", m.get("general.architecture"));
            assertEquals(200L, m.get("t.u8"));
            assertEquals(-100L, m.get("t.i8"));
            assertEquals(60000L, m.get("t.u16"));
            assertEquals(-30000L, m.get("t.i16"));
            assertEquals(4000000000L, m.get("t.u32"));
            assertEquals(-2000000000L, m.get("t.i32"));
            assertEquals(1.5f, m.get("t.f32"));
            assertEquals(1L << 40, m.get("t.u64"));
            assertEquals(-(1L << 40), m.get("t.i64"));
            assertEquals(0.1, m.get("t.f64"));
            assertEquals(true, m.get("t.bool"));
            assertEquals("héllo ✓", m.get("t.str"));
            assertArrayEquals(new long[] {1, -2, 3}, ((GgufArray) m.get("t.arr_i32")).longs());
            assertArrayEquals(new float[] {0.5f, -0.25f}, ((GgufArray) m.get("t.arr_f32")).floats());
            assertArrayEquals(new String[] {"a", "", "ünï"}, ((GgufArray) m.get("t.arr_str")).strings());
            assertArrayEquals(new boolean[] {true, false}, (boolean[]) ((GgufArray) m.get("t.arr_bool")).values());
            GgufArray[] nested = (GgufArray[]) ((GgufArray) m.get("t.arr_nested")).values();
            assertArrayEquals(new long[] {1, 2}, nested[0].longs());
            assertArrayEquals(new long[] {3}, nested[1].longs());
            GgufTensor a = g.tensors().get(0), b = g.tensors().get(1);
            assertEquals("a", a.name());
            assertEquals(GgmlType.F32, a.type());
            assertArrayEquals(new long[] {3, 2}, a.ne());
            assertArrayEquals(new long[] {2, 3}, a.hfShape());
            for (int i = 0; i < 6; i++) assertEquals(i, a.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            assertEquals(GgmlType.F16, b.type());
            assertEquals(64 * 2, b.data().byteSize());
            assertEquals(63f, Float.float16ToFloat(b.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 63)));
        }
    }

    /** Builds GGUF files by hand, so each test breaks exactly one thing. */
    static final class Builder {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder raw(int magic, int version, long nTensors, long nKv) {
            return u32(magic).u32(version).u64(nTensors).u64(nKv);
        }

        Builder u32(long v) {
            byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
            out.writeBytes(b);
            return this;
        }

        Builder u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        Builder str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        Builder bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Builder tensor(String name, int type, long offset, long... ne) {
            str(name).u32(ne.length);
            for (long d : ne) u64(d);
            return u32(type).u64(offset);
        }

        Builder padTo(int alignment) {
            while (out.size() % alignment != 0) out.write(0);
            return this;
        }

        Path write(Path p) throws Exception {
            Files.write(p, out.toByteArray());
            return p;
        }
    }

    CheckpointException fails(Builder b) throws Exception {
        Path p = b.write(tmp.resolve("bad.gguf"));
        try (Arena arena = Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> GgufFile.open(p, arena));
            assertTrue(e.getMessage().contains("bad.gguf"), e.getMessage());
            return e;
        }
    }

    static Builder header(long nTensors, long nKv) {
        return new Builder().raw(GgufFile.MAGIC, 3, nTensors, nKv);
    }

    @Test
    void aGoodHandBuiltFileReads() throws Exception {
        Builder b = header(1, 1).str("general.architecture").u32(GgufFile.STRING).str("x").tensor("w", 0, 0, 2, 2).padTo(32)
                .bytes(new byte[16]);
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.open(b.write(tmp.resolve("good.gguf")), arena);
            assertEquals(16, g.tensors().get(0).data().byteSize());
        }
    }

    @Test
    void badMagicAndVersion() throws Exception {
        assertTrue(fails(new Builder().raw(0x12345678, 3, 0, 0)).getMessage().contains("not a GGUF file"));
        assertTrue(fails(new Builder().raw(GgufFile.MAGIC, 1, 0, 0)).getMessage().contains("version 1"));
        assertTrue(fails(new Builder().u32(GgufFile.MAGIC)).getMessage().contains("truncated"));
    }

    @Test
    void aMetadataArrayOf2To60ElementsFailsWithoutAllocating() throws Exception {
        CheckpointException e = fails(header(0, 1).str("tokenizer.ggml.tokens").u32(GgufFile.ARRAY).u32(GgufFile.UINT32).u64(1L << 60));
        assertTrue(e.getMessage().contains("tokenizer.ggml.tokens") && e.getMessage().contains(Long.toString(1L << 60))
                && e.getMessage().contains("cannot fit"), e.getMessage());
        e = fails(header(0, 1).str("k").u32(GgufFile.ARRAY).u32(GgufFile.STRING).u64(-1L));
        assertTrue(e.getMessage().contains("'k'") && e.getMessage().contains("cannot fit"), e.getMessage());
    }

    @Test
    void absurdCountsAndLengths() throws Exception {
        assertTrue(fails(header(1L << 40, 0)).getMessage().contains("tensor infos"));
        assertTrue(fails(header(0, 1L << 50)).getMessage().contains("metadata entries"));
        CheckpointException e = fails(header(0, 1).str("general.name").u32(GgufFile.STRING).u64(1L << 62));
        assertTrue(e.getMessage().contains("general.name") && e.getMessage().contains("truncated"), e.getMessage());
        e = fails(header(0, 1).u64(1L << 62).bytes(new byte[16]));
        assertTrue(e.getMessage().contains("metadata key 0") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void unknownValueAndTensorTypes() throws Exception {
        CheckpointException e = fails(header(0, 1).str("k").u32(99).u32(0));
        assertTrue(e.getMessage().contains("'k'") && e.getMessage().contains("unknown value type 99"), e.getMessage());
        e = fails(header(0, 1).str("k").u32(GgufFile.ARRAY).u32(42).u64(1).u32(0));
        assertTrue(e.getMessage().contains("array of unknown value type 42"), e.getMessage());
        e = fails(header(1, 0).tensor("blk.0.attn_q.weight", 77, 0, 32, 2).padTo(32).bytes(new byte[256]));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight") && e.getMessage().contains("unknown ggml type 77"), e.getMessage());
        e = fails(header(0, 1).str("b").u32(GgufFile.BOOL).bytes(new byte[] {7}));
        assertTrue(e.getMessage().contains("bool value 7"), e.getMessage());
    }

    @Test
    void tensorLayoutErrorsNameTheTensor() throws Exception {
        // data runs past the end of the file
        CheckpointException e = fails(header(1, 0).tensor("w", 0, 0, 4, 4).padTo(32).bytes(new byte[60]));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("tensor w") && e.getMessage().contains("64 bytes"), e.getMessage());
        // offset not aligned
        e = fails(header(1, 0).tensor("w", 0, 4, 2).padTo(32).bytes(new byte[64]));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("multiple of the alignment 32"), e.getMessage());
        // a quantized row that is not whole blocks
        e = fails(header(1, 0).tensor("q", GgmlType.Q4_K.id, 0, 100, 2).padTo(32).bytes(new byte[1024]));
        assertTrue(e.getMessage().contains("tensor q") && e.getMessage().contains("block size 256"), e.getMessage());
        // too many dimensions
        e = fails(header(1, 0).tensor("d", 0, 0, 1, 1, 1, 1, 1).padTo(32).bytes(new byte[64]));
        assertTrue(e.getMessage().contains("tensor d") && e.getMessage().contains("5 dimensions"), e.getMessage());
        // two tensors on the same bytes
        e = fails(header(2, 0).tensor("a", 0, 0, 8).tensor("b", 0, 0, 8).padTo(32).bytes(new byte[64]));
        assertTrue(e.getMessage().contains("a ") && e.getMessage().contains("b ") && e.getMessage().contains("overlap"), e.getMessage());
        // bad alignment value
        e = fails(header(0, 1).str("general.alignment").u32(GgufFile.UINT32).u32(48));
        assertTrue(e.getMessage().contains("general.alignment 48"), e.getMessage());
    }

    @Test
    void truncatedRealFileAndMissingShard() throws Exception {
        Path src = GgufCheckpointTest.gguf("qwen3_moe-q8_0");
        byte[] all = Files.readAllBytes(src);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
        CheckpointException e = assertThrows(CheckpointException.class, () -> GgufCheckpoint.open(cut));
        assertTrue(e.getMessage().contains("cut.gguf") && e.getMessage().contains("truncated") && e.getMessage().contains("tensor "), e.getMessage());
        Path shard = tmp.resolve("m-00001-of-00002.gguf");
        Files.copy(GgufCheckpointTest.gguf("mixtral-f32"), shard);
        e = assertThrows(CheckpointException.class, () -> GgufModel.open(shard));
        assertTrue(e.getMessage().contains("m-00002-of-00002.gguf") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void wrongShapeNamesTensorAndBothShapes() throws Exception {
        try (GgufCheckpoint g = GgufCheckpoint.open(GgufCheckpointTest.gguf("qwen3_moe-q8_0"))) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> g.matrix("model.layers.1.mlp.experts.3.down_proj.weight", 32, 64));
            assertTrue(e.getMessage().contains("blk.1.ffn_down_exps.weight") && e.getMessage().contains("expert 3")
                    && e.getMessage().contains("[64, 32]") && e.getMessage().contains("[32, 64]"), e.getMessage());
        }
    }
}
