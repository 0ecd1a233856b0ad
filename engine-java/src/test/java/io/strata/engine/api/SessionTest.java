// Sessions over one loaded model: the KV cache kept between chat turns (only new tokens run, same reply as a
// fresh session), the shipped tiny model's plain chat template, and N threads x M sessions giving exactly the
// tokens of sequential runs.
package io.strata.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionTest {
    static final Path TINY = EngineOptionsTest.TINY;
    static StrataModel model;

    @BeforeAll
    static void load() {
        model = StrataModel.load(TINY, EngineOptions.builder().backend("cpu").context(256).build());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void tinyModelShipsAPlainTemplate() {
        String s = model.chatTemplate().render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Who?")), true);
        assertEquals("<s>Be brief.\n\nUser: Hi\nAssistant: Hello.</s>\nUser: Who?\nAssistant:", s);
    }

    @Test
    void chatTurnRunsOnlyItsNewTokensAndRepliesAsAFreshSessionWould() {
        List<ChatMessage> msgs = new ArrayList<>(List.of(new ChatMessage("user", "Who made the heaven and the earth?")));
        try (Session s = model.newSession()) {
            Session.ChatReply first = s.chat(msgs, 12, SamplingConfig.GREEDY, null);
            assertEquals(0, first.reusedTokens());
            int firstTurnTokens = first.result().promptTokens();
            msgs.add(new ChatMessage("assistant", first.text().strip()));
            msgs.add(new ChatMessage("user", "And what did he say?"));
            StringBuilder streamed = new StringBuilder();
            Session.ChatReply second = s.chat(msgs, 12, SamplingConfig.GREEDY, streamed::append);
            assertEquals(second.text(), streamed.toString(), "the listener saw exactly the reply");
            // Everything up to the first reply's text was cached: only the rest of the conversation ran.
            assertTrue(second.reusedTokens() >= firstTurnTokens, second.reusedTokens() + " reused, first turn " + firstTurnTokens);
            long before = model.stats().promptTokens();
            try (Session fresh = model.newSession()) {
                Session.ChatReply again = fresh.chat(msgs, 12, SamplingConfig.GREEDY, null);
                assertEquals(second.result().promptTokens(), model.stats().promptTokens() - before, "a fresh session runs all");
                assertArrayEquals(again.result().tokens(), second.result().tokens());
                assertEquals(again.text(), second.text());
            }
        }
    }

    @Test
    void divergingSequenceRollsBackToTheCommonPrefix() {
        int[] a = model.encode("In the beginning God created");
        int[] b = model.encode("In the beginning was the Word");
        try (Session s = model.newSession(); Session fresh = model.newSession()) {
            s.generate(a, 6, new int[0], SamplingConfig.GREEDY, null);
            GenerationResult rb = s.generate(b, 6, new int[0], SamplingConfig.GREEDY, null);
            int common = 0;
            while (a[common] == b[common]) common++;
            assertEquals(common, s.lastReusedTokens());
            assertArrayEquals(fresh.generate(b, 6, new int[0], SamplingConfig.GREEDY, null).tokens(), rb.tokens());
        }
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        try (Session s = model.newSession()) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.generate(new int[300], 1, new int[0], SamplingConfig.GREEDY, null));
            assertTrue(e.getMessage().contains("context of 256"), e.getMessage());
        }
    }

    @Test
    void chatTemplateFileOverridesTheModels(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("t.jinja");
        Files.writeString(f, "{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }};{% endfor %}");
        try (StrataModel m = StrataModel.load(TINY, EngineOptions.builder().backend("cpu").context(64).chatTemplate(f).build())) {
            assertEquals("[user]hi;", m.chatTemplate().render(List.of(new ChatMessage("user", "hi")), true));
        }
    }

    /** N threads x M sessions, two turns each with sampling: every session gets exactly its sequential tokens. */
    @Test
    void concurrentSessionsProduceTheirSequentialOutputs() throws Exception {
        int threads = 3, perThread = 2;
        String[] prompts = {"In the beginning", "And the LORD said", "Blessed are the", "The sea", "Now the serpent", "And it came to pass"};
        List<int[][]> sequential = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) sequential.add(twoTurns(prompts[i], i));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<int[][]>>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int t0 = t;
                fs.add(pool.submit(() -> {
                    List<int[][]> out = new ArrayList<>();
                    for (int j = 0; j < perThread; j++) out.add(twoTurns(prompts[t0 * perThread + j], t0 * perThread + j));
                    return out;
                }));
            }
            for (int t = 0; t < threads; t++) {
                List<int[][]> got = fs.get(t).get();
                for (int j = 0; j < perThread; j++) {
                    int[][] want = sequential.get(t * perThread + j);
                    for (int turn = 0; turn < 2; turn++) assertArrayEquals(want[turn], got.get(j)[turn], "session " + (t * perThread + j) + " turn " + turn);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, model.stats().openSessions());
    }

    /** A session: a sampled continuation, then a second turn continuing the first (cache reused). */
    static int[][] twoTurns(String prompt, int seed) {
        SamplingConfig s = new SamplingConfig(0.8f, 20, 0.95f, seed);
        try (Session session = model.newSession()) {
            int[] p = model.encode(prompt);
            int[] a = session.generate(p, 5, new int[0], s, null).tokens();
            int[] next = new int[p.length + a.length + 2];
            System.arraycopy(p, 0, next, 0, p.length);
            System.arraycopy(a, 0, next, p.length, a.length);
            next[next.length - 2] = model.encode(" and").length > 1 ? model.encode(" and")[1] : 3;
            next[next.length - 1] = 5;
            int[] b = session.generate(next, 5, new int[0], s, null).tokens();
            return new int[][] {a, b};
        }
    }

    /**
     * Continuous batching: sessions decoding at once share forward passes (an expert routed by several of them is read
     * once for all), and every session still gets exactly the greedy tokens it gets alone.
     */
    @Test
    void concurrentDecodeStepsRunAsBatchesWithTheSoloTokens() throws Exception {
        String[] prompts = {"In the beginning", "And the LORD said unto Moses,", "Blessed are the", "The sea"};
        int tokens = 24;
        int[][] solo = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            try (Session s = model.newSession()) {
                solo[i] = s.generate(model.encode(prompts[i]), tokens, new int[0], SamplingConfig.GREEDY, null).tokens();
            }
        }
        long[] before = model.decodeBatches();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(prompts.length);
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<int[]>> fs = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                int i0 = i;
                fs.add(pool.submit(() -> {
                    try (Session s = model.newSession()) {
                        int[] p = model.encode(prompts[i0]);
                        start.await();
                        return s.generate(p, tokens, new int[0], SamplingConfig.GREEDY, null).tokens();
                    }
                }));
            }
            for (int i = 0; i < prompts.length; i++) assertArrayEquals(solo[i], fs.get(i).get(), "session " + i);
        } finally {
            pool.shutdownNow();
        }
        long[] after = model.decodeBatches();
        long steps = after[0] - before[0], rows = after[1] - before[1];
        assertEquals((long) prompts.length * (tokens - 1), rows, "every decode step ran through the batcher");
        assertTrue(steps < rows, "decode steps of different sessions shared forward passes: " + rows + " steps in " + steps + " passes");
    }

    /** A checkpoint folder on the CPU: no fast tier, every expert mapped in place; the snapshot says so. */
    @Test
    void residencyOfACheckpointFolderNamesNoTiers() {
        ExpertResidency r = model.residency();
        assertEquals("none", r.fastTier());
        assertTrue(r.fast().isEmpty() && r.host().isEmpty() && r.hostSlots() == 0, r.toString());
        assertThrows(UnsupportedOperationException.class, () -> r.fast().add(new io.strata.tiering.ExpertKey(0, 0)));
    }
}
