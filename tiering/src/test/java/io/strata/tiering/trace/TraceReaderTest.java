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
                    pool.submit(() -> rec.record(token, layer, new int[] {token % experts, (token + layer + 1) % experts, 63, 7, 9},
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
            assertArrayEquals(new int[] {s.token() % experts, (s.token() + s.layer() + 1) % experts, 63, 7, 9}, s.experts());
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
}
