// strata run --prompt-ids on the shipped model: transformers' greedy continuation of the same ids, and bad ids refused.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {
    @TempDir
    Path tmp;

    private static String csv(JsonNode ids, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append(ids.get(i).asInt());
        return b.toString();
    }

    /** Reference: models/tiny-moe/golden-greedy.json (transformers, float32), as in TrainedModelGoldenTest. */
    @Test
    void promptIdsGiveTheGreedyContinuationOfTransformers() throws Exception {
        Path model = DemoCommand.trainedModel();
        Assumptions.assumeTrue(model != null, "models/tiny-moe not found");
        JsonNode gold = new ObjectMapper().readTree(model.resolve("golden-greedy.json").toFile()).elements().next();
        JsonNode want = gold.get("greedy_ids");
        int n = Math.min(12, want.size());
        Path json = tmp.resolve("run.json");
        PrintStream before = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true));
            rc = StrataCli.commandLine().execute("run", "--model", model.toString(), "--backend", "cpu", "--prompt-ids",
                    "[" + csv(gold.get("prompt_ids"), gold.get("prompt_ids").size()) + "]", "--max-tokens", Integer.toString(n),
                    "--json", json.toString());
        } finally {
            System.setOut(before);
        }
        assertEquals(0, rc, buf.toString());
        String first = buf.toString().lines().findFirst().orElse("");
        assertTrue(first.endsWith("-> " + csv(want, n).replace(",", " ")), "printed ids: " + first);
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(csv(want, n), csv(r.get("token_ids"), n));
        assertEquals(gold.get("prompt_ids").size(), r.get("prompt_tokens").asInt());
    }

    @Test
    void anIdOutsideTheVocabularyExitsWithTwoAndNamesIt() {
        Path model = DemoCommand.trainedModel();
        Assumptions.assumeTrue(model != null, "models/tiny-moe not found");
        CommandLine cl = StrataCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("run", "--model", model.toString(), "--backend", "cpu", "--prompt-ids", "1,32000"));
        assertTrue(err.toString().contains("id 32000 at position 1") && err.toString().contains("32000 tokens"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute("run", "--model", model.toString(), "--backend", "cpu", "--prompt-ids", "1,two"));
        assertTrue(err.toString().contains("'two'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute("run", "--model", model.toString(), "--prompt", "Hi", "--prompt-ids", "1"));
        assertTrue(err.toString().contains("mutually exclusive"), err.toString());
    }
}
