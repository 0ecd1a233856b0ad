// Packed store: round trip, resume after interruption, and every failure mode names where it failed.
package io.strata.tiering.store;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.Layouts;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackedStoreTest {
    static final int L = 2, E = 3, H = 24, I = 40; // expert: 3 matrices of 960 floats = 3840 B each

    @TempDir
    Path dir;

    @Test
    void roundTripsExpertsAndDenseTensors() {
        Path out = StoreTestData.write(dir.resolve("store"), L, E, H, I);
        assertFalse(Files.exists(dir.resolve("store.partial")));
        try (PackedStore s = PackedStore.open(out); Arena a = Arena.ofConfined()) {
            assertEquals("dense", s.codec());
            assertEquals("F32", s.manifest().dtype());
            assertEquals(H, s.manifest().model().get("hidden_size").asInt());
            assertArrayEquals(new long[] {I, H}, s.manifest().shapes().get("gate"));
            // 3 matrices of 3840 B, each 4 KiB aligned: region of 3 × 4096.
            assertEquals(3 * 4096, s.maxExpertBytes());
            MemorySegment buf = a.allocate(s.maxExpertBytes(), 4096);
            for (int l = 0; l < L; l++) {
                for (int e = 0; e < E; e++) {
                    ExpertEntry x = s.expert(l, e);
                    assertEquals(0, x.offset() % 4096);
                    assertEquals(0, x.matrix("up").offset() % 4096);
                    s.readExpert(l, e, buf);
                    StoreTestData.check(PackedStore.weights(x, buf), l, e);
                }
            }
            PackedStore.DenseTensor emb = s.dense("model.embed_tokens.weight");
            assertArrayEquals(new long[] {3, H}, emb.shape());
            assertEquals(StoreTestData.value(99, 0, 0, 5), emb.data().getAtIndex(Layouts.F32, 5));
            assertEquals(H, s.dense("model.norm.weight").data().byteSize() / 4);
            s.verifyAll();
        }
    }

    @Test
    void interruptedPackResumesAndReverifies() throws IOException {
        Path out = dir.resolve("store");
        try (Arena a = Arena.ofConfined()) {
            try (StoreWriter w = StoreWriter.create(out, StoreTestData.config(H, I), "dense", L, E)) {
                for (int e = 0; e < E; e++) {
                    w.writeExpert(0, e, StoreTestData.expert(a, 0, e, H, I));
                }
                w.writeExpert(1, 0, StoreTestData.expert(a, 1, 0, H, I));
            } // interrupted: no commit
            Path staging = dir.resolve("store.partial");
            assertFalse(Files.exists(out));
            // Corrupt layer 0 expert 1 on disk, and leave a torn half-written item at the end of layer 1's file.
            flipByte(staging.resolve("experts-000.bin"), 4096 * 3 + 100);
            Files.write(staging.resolve("experts-001.bin"), new byte[5000], java.nio.file.StandardOpenOption.APPEND);
            try (StoreWriter w = StoreWriter.create(out, StoreTestData.config(H, I), "dense", L, E)) {
                assertEquals(3, w.resumedExperts());
                assertTrue(w.isWritten(0, 0));
                assertFalse(w.isWritten(0, 1), "corrupt expert must be rewritten");
                assertTrue(w.isWritten(1, 0));
                assertEquals(4096 * 3, Files.size(staging.resolve("experts-001.bin")), "torn tail truncated");
                assertFalse(w.writeExpert(0, 0, StoreTestData.expert(a, 0, 0, H, I)), "already written");
                for (int l = 0; l < L; l++) {
                    for (int e = 0; e < E; e++) {
                        w.writeExpert(l, e, StoreTestData.expert(a, l, e, H, I));
                    }
                }
                w.commit();
            }
        }
        try (PackedStore s = PackedStore.open(out)) {
            s.verifyAll();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(s.maxExpertBytes(), 4096);
                for (int l = 0; l < L; l++) {
                    for (int e = 0; e < E; e++) {
                        s.readExpert(l, e, buf);
                        StoreTestData.check(PackedStore.weights(s.expert(l, e), buf), l, e);
                    }
                }
            }
        }
    }

    @Test
    void resumeWithDifferentDimensionsIsRefused() {
        Path out = dir.resolve("store");
        StoreWriter.create(out, StoreTestData.config(H, I), "dense", L, E).close();
        StoreException ex = assertThrows(StoreException.class,
                () -> StoreWriter.create(out, StoreTestData.config(H, I), "floe", L, E));
        assertTrue(ex.getMessage().contains("cannot resume"), ex.getMessage());
    }

    @Test
    void commitRefusesMissingExpertAndExistingTarget() {
        Path out = dir.resolve("store");
        try (Arena a = Arena.ofConfined(); StoreWriter w = StoreWriter.create(out, StoreTestData.config(H, I), "dense", 1, 2)) {
            w.writeExpert(0, 0, StoreTestData.expert(a, 0, 0, H, I));
            StoreException ex = assertThrows(StoreException.class, w::commit);
            assertTrue(ex.getMessage().contains("layer 0 expert 1 was never written"), ex.getMessage());
        }
        Path done = StoreTestData.write(dir.resolve("done"), 1, 1, H, I);
        StoreException ex = assertThrows(StoreException.class,
                () -> StoreWriter.create(done, StoreTestData.config(H, I), "dense", 1, 1));
        assertTrue(ex.getMessage().contains("already exists"), ex.getMessage());
    }

    @Test
    void corruptBlobIsNeverServed() throws IOException {
        Path out = StoreTestData.write(dir.resolve("store"), L, E, H, I);
        long off;
        try (PackedStore s = PackedStore.open(out)) {
            off = s.expert(1, 2).offset() + s.expert(1, 2).matrix("down").offset() + 17;
        }
        flipByte(out.resolve("experts-001.bin"), off);
        try (PackedStore s = PackedStore.open(out); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(s.maxExpertBytes(), 4096);
            s.readExpert(1, 1, buf); // neighbours are fine
            StoreException ex = assertThrows(StoreException.class, () -> s.readExpert(1, 2, buf));
            assertTrue(ex.getMessage().contains("layer 1 expert 2"), ex.getMessage());
            assertTrue(ex.getMessage().contains("experts-001.bin"), ex.getMessage());
            assertTrue(ex.getMessage().contains("matrix down"), ex.getMessage());
            assertTrue(ex.getMessage().contains("CRC32C mismatch"), ex.getMessage());
            assertThrows(StoreException.class, s::verifyAll);
        }
    }

    @Test
    void corruptDenseTensorIsNeverServed() throws IOException {
        Path out = StoreTestData.write(dir.resolve("store"), 1, 1, H, I);
        flipByte(out.resolve("dense.bin"), 8);
        try (PackedStore s = PackedStore.open(out)) {
            s.dense("model.norm.weight");
            StoreException ex = assertThrows(StoreException.class, () -> s.dense("model.embed_tokens.weight"));
            assertTrue(ex.getMessage().contains("dense tensor model.embed_tokens.weight"), ex.getMessage());
        }
    }

    @Test
    void truncatedFileFailsAtOpen() throws IOException {
        Path out = StoreTestData.write(dir.resolve("store"), L, E, H, I);
        try (RandomAccessFile f = new RandomAccessFile(out.resolve("experts-001.bin").toFile(), "rw")) {
            f.setLength(f.length() - 4096);
        }
        StoreException ex = assertThrows(StoreException.class, () -> PackedStore.open(out));
        assertTrue(ex.getMessage().contains("layer 1 expert 2 in experts-001.bin"), ex.getMessage());
        assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
    }

    @Test
    void manifestThatDoesNotMatchTheFilesFailsAtOpen() throws IOException {
        Path out = StoreTestData.write(dir.resolve("store"), L, E, H, I);
        Path mf = out.resolve("manifest.json");
        String orig = Files.readString(mf);
        // A missing blob file.
        Files.move(out.resolve("experts-000.bin"), out.resolve("moved.bin"));
        StoreException ex = assertThrows(StoreException.class, () -> PackedStore.open(out));
        assertTrue(ex.getMessage().contains("layer 0 expert 0 in experts-000.bin") && ex.getMessage().contains("missing"),
                ex.getMessage());
        Files.move(out.resolve("moved.bin"), out.resolve("experts-000.bin"));
        // A shape that disagrees with the byte length.
        Files.writeString(mf, orig.replaceFirst("\"shape\" : \\[ 40, 24 \\]", "\"shape\" : [ 41, 24 ]"));
        ex = assertThrows(StoreException.class, () -> PackedStore.open(out));
        assertTrue(ex.getMessage().contains("layer 0 expert 0") && ex.getMessage().contains("needs 3936 bytes"),
                ex.getMessage());
        // An expert count that disagrees with the dimensions.
        Files.writeString(mf, orig.replace("\"num_experts\" : 3", "\"num_experts\" : 4"));
        ex = assertThrows(StoreException.class, () -> PackedStore.open(out));
        assertTrue(ex.getMessage().contains("expected 8 experts"), ex.getMessage());
        // No manifest at all: the blobs are there, so the error says it is a store without its manifest.
        Files.delete(mf);
        ex = assertThrows(StoreException.class, () -> PackedStore.open(out));
        assertTrue(ex.getMessage().contains("looks like a packed store (dense.bin, experts-000.bin, experts-001.bin present)"
                + " without its manifest.json"), ex.getMessage());
        // An empty folder is simply not a store.
        Path empty = Files.createDirectories(dir.resolve("empty"));
        ex = assertThrows(StoreException.class, () -> PackedStore.open(empty));
        assertTrue(ex.getMessage().contains("not a packed store, expected"), ex.getMessage());
        assertNull(PackedStore.describeIncomplete(empty));
    }

    static void flipByte(Path f, long offset) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(offset);
            int b = r.read();
            r.seek(offset);
            r.write(b ^ 0x5A);
        }
    }
}
