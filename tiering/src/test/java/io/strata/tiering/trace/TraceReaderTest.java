// Reading and recording routing traces in both formats.
package io.strata.tiering.trace;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.tiering.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsTinyMoeTraceSortedByTokenThenLayer() {
        RoutingTrace t = TraceReader.read(TestData.repo("models/tiny-moe/traces/hacker-lore.jsonl"), 0);
        assertEquals("tiny-moe", t.model());
        assertEquals(6, t.numLayers());
        assertEquals(8, t.numExperts());
        assertEquals(2, t.topK());
        // The file is layer-major; after sorting every token has layers 0..5 in order.
        for (int i = 0; i < t.steps().size(); i++) {
            TraceStep s = t.steps().get(i);
            assertEquals(i / 6, s.token(), "step " + i);
            assertEquals(i % 6, s.layer(), "step " + i);
            assertEquals(2, s.experts().length);
            assertEquals(2, s.weights().length);
        }
        // First line of the file: token 0 layer 0 experts [2, 4] weights [0.932177, 0.067823].
        TraceStep first = t.steps().getFirst();
        assertArrayEquals(new int[] {2, 4}, first.experts());
        assertEquals(0.932177f, first.weights()[0], 1e-6f);
    }

    @Test
    void recorderRoundTripsFromManyThreadsInAnyOrder() throws Exception {
        Path f = dir.resolve("t.jsonl");
        int layers = 3, tokens = 50, experts = 64, topK = 5;
        try (TraceRecorder rec = TraceRecorder.open(f, "m", layers, experts, topK, "hi")) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            for (int l = layers - 1; l >= 0; l--) { // layer-major, reversed
                for (int t = 0; t < tokens; t++) {
                    int layer = l, token = t;
                    pool.submit(() -> rec.record(token, layer, new int[] {token % 50, 50 + (token + layer + 1) % 5, 63, 60, 61},
                            new float[] {0.5f, 0.2f, 0.1f, 0.1f, 0.1f}));
                }
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        RoutingTrace t = TraceReader.readJsonLines(f);
        assertEquals(layers * tokens, t.steps().size());
        assertEquals(topK, t.topK());
        for (int i = 0; i < t.steps().size(); i++) {
            TraceStep s = t.steps().get(i);
            assertEquals(i / layers, s.token());
            assertEquals(i % layers, s.layer());
            assertArrayEquals(new int[] {s.token() % 50, 50 + (s.token() + s.layer() + 1) % 5, 63, 60, 61}, s.experts());
        }
    }

    @Test
    void recorderRejectsOutOfRangeExpert() {
        try (TraceRecorder rec = TraceRecorder.open(dir.resolve("x.jsonl"), "m", 2, 4, 1, null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rec.record(0, 1, new int[] {4}, null));
            assertTrue(e.getMessage().contains("expert 4 outside [0, 4)"), e.getMessage());
        }
    }

    @Test
    void importsMixtralFormat() throws Exception {
        Path f = dir.resolve("m.active_experts.txt");
        // 2 layers: prefill (all 4 experts), then 3 decode tokens.
        Files.write(f, List.of("0,1,2,3", "0,1,2,3", "1,3", "0,2", "2,3", "0,1", "1,2", "2,3"));
        RoutingTrace t = TraceReader.read(f, 2);
        assertEquals(4, t.numTokens());
        assertEquals(4, t.numExperts());
        assertEquals(2, t.topK());
        assertEquals(new TraceStep(2, 1, new int[] {0, 1}, new float[0]), t.steps().get(5));
        assertEquals(4 * 2 + 6 * 2, t.numRequests());
    }

    @Test
    void mixtralImportRejectsIncompleteToken() throws Exception {
        Path f = dir.resolve("bad.txt");
        Files.write(f, List.of("0,1", "2,3", "1,x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceReader.readMixtral(f, 2, 0));
        assertTrue(e.getMessage().contains(":3:"), e.getMessage());
        Files.write(f, List.of("0,1", "2,3", "1,2"));
        e = assertThrows(IllegalArgumentException.class, () -> TraceReader.readMixtral(f, 2, 0));
        assertTrue(e.getMessage().contains("multiple of 2"), e.getMessage());
    }

    @Test
    void readsRealMixtralTrace() {
        RoutingTrace t = TraceReader.read(TestData.shared("data/traces/mixtral-8x7b-instruct.active_experts.txt"), 32);
        assertEquals(774, t.numTokens()); // prefill + 773 decode tokens
        assertEquals(8, t.numExperts());
        assertEquals(2, t.topK());
        assertEquals(32 * 8 + 773 * 32 * 2, t.numRequests());
    }

    private static final String HEADER = "{\"format\":\"strata-trace\",\"version\":1,\"model\":\"m\",\"num_layers\":2,"
            + "\"num_experts\":4,\"top_k\":2}";

    /** Writes a trace of the header and the given step lines and expects a TraceFormatException naming file:line. */
    private void assertRejected(String line, String expectation, String... steps) throws Exception {
        Path f = dir.resolve("bad.jsonl");
        List<String> all = new java.util.ArrayList<>();
        all.add(HEADER);
        all.addAll(List.of(steps));
        Files.write(f, all);
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceReader.read(f, 0));
        assertTrue(e.getMessage().startsWith(f + ":" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectation), e.getMessage());
    }

    @Test
    void rejectsNonIntegerExpertIds() throws Exception {
        // Read as [0, 2] before: a string and a fraction silently became ids.
        assertRejected("2", "expected integer expert ids in [0, 4) in \"experts\", found \"abc\"",
                "{\"token\":0,\"layer\":0,\"experts\":[\"abc\",2.9],\"weights\":[0.5,0.5]}");
        assertRejected("3", "found 2.9 at index 1",
                "{\"token\":0,\"layer\":0,\"experts\":[1,2]}", "{\"token\":0,\"layer\":1,\"experts\":[1,2.9]}");
        assertRejected("2", "found 4 at index 0", "{\"token\":0,\"layer\":0,\"experts\":[4,1]}");
    }

    @Test
    void rejectsDuplicateExperts() throws Exception {
        assertRejected("2", "expected distinct expert ids in \"experts\", found 1 twice",
                "{\"token\":0,\"layer\":0,\"experts\":[1,1]}");
    }

    @Test
    void rejectsTokenGaps() throws Exception {
        // Tokens 0, 1, 5 were replayed with exit code 0 before; the line of token 5 is named.
        assertRejected("4", "expected tokens 0..N-1 without gaps, found token 5 after token 1 (missing token 2)",
                "{\"token\":0,\"layer\":0,\"experts\":[0,1]}", "{\"token\":1,\"layer\":0,\"experts\":[0,1]}",
                "{\"token\":5,\"layer\":0,\"experts\":[0,1]}");
        assertRejected("2", "found token 3 after none (missing token 0)", "{\"token\":3,\"layer\":0,\"experts\":[0,1]}");
    }

    @Test
    void rejectsMalformedLinesAndFields() throws Exception {
        assertRejected("2", "expected one JSON object per line", "{\"token\":0,");
        assertRejected("2", "expected integer field \"layer\" in [0, 1], found 2", "{\"token\":0,\"layer\":2,\"experts\":[0]}");
        assertRejected("2", "expected integer field \"token\" in [0,", "{\"token\":\"0\",\"layer\":0,\"experts\":[0]}");
        assertRejected("2", "expected \"weights\" as an array of 2 numbers", "{\"token\":0,\"layer\":0,\"experts\":[0,1],\"weights\":[1]}");
        assertRejected("2", "expected numbers in \"weights\"", "{\"token\":0,\"layer\":0,\"experts\":[0,1],\"weights\":[1,\"x\"]}");
        assertRejected("2", "expected a non-empty \"experts\" array", "{\"token\":0,\"layer\":0,\"experts\":[]}");
        Path f = dir.resolve("h.jsonl");
        Files.write(f, List.of(HEADER.replace("\"top_k\":2", "\"top_k\":9")));
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceReader.read(f, 0));
        assertTrue(e.getMessage().contains(":1: expected integer field \"top_k\" in [1, 4], found 9"), e.getMessage());
    }

    @Test
    void mixtralImportRejectsDuplicatesNegativesAndMissingLayerCount() throws Exception {
        Path f = dir.resolve("m.txt");
        Files.write(f, List.of("0,1", "1,1"));
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceReader.readMixtral(f, 2, 0));
        assertTrue(e.getMessage().contains(":2: expected distinct expert ids, found 1 twice"), e.getMessage());
        Files.write(f, List.of("0,-1", "1,2"));
        e = assertThrows(TraceFormatException.class, () -> TraceReader.readMixtral(f, 2, 0));
        assertTrue(e.getMessage().contains(":1: expected expert ids in [0, 65536), found -1"), e.getMessage());
        // Not JSON and no layer count: before, a division by zero.
        e = assertThrows(TraceFormatException.class, () -> TraceReader.read(f, 0));
        assertTrue(e.getMessage().contains("needs the number of MoE layers"), e.getMessage());
    }

    @Test
    void repeatedTokenLayerPairsStayReadable() throws Exception {
        // A chat records every turn from position 0 again; such traces stay readable.
        Path f = dir.resolve("chat.jsonl");
        Files.write(f, List.of(HEADER, "{\"token\":0,\"layer\":0,\"experts\":[0,1]}", "{\"token\":0,\"layer\":0,\"experts\":[2,3]}"));
        assertEquals(2, TraceReader.read(f, 0).steps().size());
    }

    @Test
    void recordPassNumbersForwardPassesAndTheReaderKeepsThem() {
        Path f = dir.resolve("passes.jsonl");
        try (TraceRecorder rec = TraceRecorder.open(f, "m", 2, 4, 2, null)) {
            // A prompt batch of 3 tokens over layers 0 and 1, one decode step, then a second generation from 0.
            int[][] prompt = {{0, 1}, {1, 2}, {2, 3}};
            rec.recordPass(0, 0, prompt, null);
            rec.recordPass(0, 1, prompt, null);
            rec.recordPass(3, 0, new int[][] {{3, 0}}, null);
            rec.recordPass(3, 1, new int[][] {{3, 1}}, null);
            rec.recordPass(0, 0, new int[][] {{1, 3}}, null);
            rec.recordPass(0, 1, new int[][] {{2, 0}}, null);
        }
        RoutingTrace t = TraceReader.read(f, 0);
        assertEquals(10, t.steps().size());
        // Sorted by (token, layer), stable: position 0 holds the prompt's and the second generation's steps.
        int[][] tokenLayerPass = {{0, 0, 0}, {0, 0, 2}, {0, 1, 0}, {0, 1, 2}, {1, 0, 0}, {1, 1, 0}, {2, 0, 0}, {2, 1, 0},
                {3, 0, 1}, {3, 1, 1}};
        for (int i = 0; i < tokenLayerPass.length; i++) {
            TraceStep s = t.steps().get(i);
            assertArrayEquals(tokenLayerPass[i], new int[] {s.token(), s.layer(), s.pass()}, "step " + i + ": " + s);
        }
        assertArrayEquals(new int[] {1, 3}, t.steps().get(1).experts());
        // Steps written without a pass read as -1 (unknown).
        Path g = dir.resolve("nopass.jsonl");
        try (TraceRecorder rec = TraceRecorder.open(g, "m", 2, 4, 2, null)) {
            rec.record(0, 0, new int[] {0, 1}, null);
        }
        assertEquals(-1, TraceReader.read(g, 0).steps().getFirst().pass());
    }

    @Test
    void rejectsANegativePass() throws Exception {
        assertRejected("2", "expected integer field \"pass\" in [0,", "{\"token\":0,\"layer\":0,\"experts\":[0],\"pass\":-1}");
    }
}
