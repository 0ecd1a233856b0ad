// `strata predict eval` end to end on the shipped tiny-moe: prompt files, table, JSON.
package io.strata.engine.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.cli.PredictCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PredictCommandTest {
    static Path tinyMoe() {
        return Path.of(System.getProperty("strata.root", ".")).resolve("models/tiny-moe");
    }

    @Test
    void evalWritesJsonForEveryPredictorAndDepth(@TempDir Path tmp) throws Exception {
        Path model = tinyMoe();
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe not found at " + model);
        Path train = tmp.resolve("train.txt"), test = tmp.resolve("test.txt"), json = tmp.resolve("eval.json");
        Files.writeString(train, "# training\nIn the beginning God created the heaven and the earth.\n\nLa vida es sueño.\n\n"
                + "hacker n. A person who enjoys exploring the details of programmable systems.\n");
        Files.writeString(test, "And God said, Let there be light:\nand there was light.\n\nWer anderen eine Grube gräbt.\n");
        int rc = new CommandLine(new PredictCommand()).execute("eval", "--model", model.toString(), "--predictor", "lookahead,prior,lookahead-gated",
                "--depth", "1,2", "--train-prompts", train.toString(), "--prompts", test.toString(), "--gen-tokens", "4",
                "--json", json.toString());
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, root.path("train_prompts").asInt());
        assertEquals(2, root.path("test_prompts").asInt());
        assertEquals(2, root.path("m").asInt());
        int totals = 0;
        for (JsonNode r : root.path("results")) {
            if (!r.path("layer").isTextual()) continue;
            totals++;
            double p = r.path("precision").asDouble(), rec = r.path("recall").asDouble();
            assertTrue(p >= 0 && p <= 1 && rec >= 0 && rec <= 1, r.toString());
            // Held-out positions: 2 prompts' tokens + 4 generated each, (6 - d) target layers, top-2.
            assertEquals(root.path("test_tokens").asLong() * (6 - r.path("depth").asInt()) * 2, r.path("actual").asLong(), r.toString());
        }
        assertEquals(6, totals, "3 predictors x 2 depths");
    }

    @Test
    void badPredictorNameSaysWhatIsExpected() {
        Path model = tinyMoe();
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        var err = new java.io.StringWriter();
        CommandLine cl = new CommandLine(new PredictCommand());
        cl.setErr(new java.io.PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println(ex.getMessage());
            return 2;
        });
        int rc = cl.execute("eval", "--model", model.toString(), "--predictor", "psychic", "--gen-tokens", "0", "--prompt-set", "genres",
                "--holdout-every", "20");
        assertEquals(2, rc);
        assertTrue(err.toString().contains("expected lookahead, lookahead-norm, learned, prior, oracle") && err.toString().contains("'psychic'"),
                err.toString());
        // The oracle knows only the measured prompts: gating it on the training prompts is refused.
        rc = cl.execute("eval", "--model", model.toString(), "--predictor", "oracle-gated", "--gen-tokens", "0", "--prompt-set", "genres",
                "--holdout-every", "20");
        assertEquals(2, rc);
        assertTrue(err.toString().contains("'oracle-gated'"), err.toString());
    }

    @Test
    void evalOracleIsExactOnTheHeldOutPrompts(@TempDir Path tmp) throws Exception {
        Path model = tinyMoe();
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe not found at " + model);
        Path train = tmp.resolve("train.txt"), test = tmp.resolve("test.txt"), json = tmp.resolve("eval.json");
        Files.writeString(train, "In the beginning God created the heaven and the earth.\n");
        Files.writeString(test, "And God said, Let there be light:\nand there was light.\n\nWer anderen eine Grube gräbt.\n");
        int rc = new CommandLine(new PredictCommand()).execute("eval", "--model", model.toString(), "--predictor", "oracle,prior",
                "--depth", "1,3", "--train-prompts", train.toString(), "--prompts", test.toString(), "--gen-tokens", "4",
                "--json", json.toString());
        assertEquals(0, rc);
        int oracleRows = 0;
        for (JsonNode r : new ObjectMapper().readTree(json.toFile()).path("results")) {
            if (!r.path("predictor").asText().equals("oracle")) continue;
            oracleRows++;
            assertEquals(1.0, r.path("precision").asDouble(), r.toString());
            assertEquals(1.0, r.path("recall").asDouble(), r.toString());
        }
        assertTrue(oracleRows >= 2, "oracle rows at depths 1 and 3: " + oracleRows);
    }

    /** A 4-layer synthetic model without tokenizer, packed into tmp/store. */
    private static Path packedTinyStore(Path tmp) throws Exception {
        var spec = io.strata.engine.synth.SyntheticCheckpoint.preset("tiny").withLayers(4);
        Path ck = io.strata.engine.synth.SyntheticCheckpoint.write(spec, tmp.resolve("ck"), null);
        Path store = tmp.resolve("store");
        assertEquals(0, new CommandLine(new io.strata.engine.cli.PackCommand()).execute("--model", ck.toString(), "--out", store.toString(),
                "--no-progress"));
        return store;
    }

    @Test
    void benchOnAStoreWithoutTokenizerUsesRandomTokenPrompts(@TempDir Path tmp) throws Exception {
        Path store = packedTinyStore(tmp), json = tmp.resolve("bench.json");
        int rc = new CommandLine(new PredictCommand()).execute("bench", "--model", store.toString(), "--random-prompts", "4",
                "--holdout-every", "2", "--prompt-tokens", "5", "--gen-tokens", "3", "--predictor", "off,lookahead", "--top-m", "2,3",
                "--repeat", "1", "--json", json.toString());
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, root.path("measured_prompts").asInt());
        assertEquals(2, root.path("train_prompts").asInt());
        JsonNode runs = root.path("runs");
        assertEquals(3, runs.size(), "off, then lookahead with m = 2 and m = 3");
        assertEquals("off", runs.get(0).path("predictor").asText());
        assertEquals(3, runs.get(2).path("m").asInt());
        for (JsonNode r : runs) {
            assertEquals(6, r.path("decode_tokens").asLong(), r.toString());
            assertEquals(r.path("decode_misses").asLong(), r.path("decode_hinted_misses").asLong() + r.path("decode_unhinted_misses").asLong(),
                    r.toString());
        }
        assertTrue(runs.get(1).path("prefetch_decode").path("total").path("issued").asLong() > 0, runs.get(1).toString());
        assertTrue(root.path("oracle").isMissingNode(), "no oracle, no oracle figures");
    }

    @Test
    void benchOracleSeesEveryRouterInputOfTheMeasuredRuns(@TempDir Path tmp) throws Exception {
        Path store = packedTinyStore(tmp), json = tmp.resolve("bench.json");
        int rc = new CommandLine(new PredictCommand()).execute("bench", "--model", store.toString(), "--random-prompts", "4",
                "--holdout-every", "2", "--prompt-tokens", "5", "--gen-tokens", "3", "--predictor", "off,oracle", "--depth", "1,2",
                "--repeat", "1", "--json", json.toString());
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        JsonNode oracle = root.path("oracle");
        // One lookup per position (5 prompt tokens in prefill, 3 decode steps) of 2 prompts and per (L, a) pair of a
        // run: depth 1 has (0,1) (1,1) (2,1), depth 2 adds (0,2) (1,2) to those: 3 + 5 pairs.
        assertEquals(2L * (5 + 3) * (3 + 5), oracle.path("lookups").asLong(), oracle.toString());
        assertEquals(0, oracle.path("lookup_failures").asLong(), oracle.toString());
        assertTrue(oracle.path("near_matches").asLong() <= oracle.path("lookups").asLong(), oracle.toString());
        JsonNode runs = root.path("runs");
        assertEquals(3, runs.size(), "off, then the oracle at depths 1 and 2");
        for (int i = 1; i < 3; i++) {
            JsonNode t = runs.get(i).path("prefetch_decode").path("total");
            assertEquals("oracle", runs.get(i).path("predictor").asText());
            // Every hint is an expert the router then chose.
            assertEquals(1.0, t.path("precision").asDouble(), runs.get(i).toString());
        }
    }
}
