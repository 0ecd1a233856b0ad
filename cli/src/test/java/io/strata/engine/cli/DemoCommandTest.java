// strata demo on the shipped model: output, JSON report and expert counts that add up.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void demoWritesAReportWhoseExpertCountsMatchTheTokensRouted() throws Exception {
        Path model = DemoCommand.trainedModel();
        Assumptions.assumeTrue(model != null, "models/tiny-moe not found");
        Path json = tmp.resolve("demo.json");
        int rc = StrataCli.commandLine().execute("demo", "--max-tokens", "4", "--backend", "cpu", "--json", json.toString());
        assertEquals(0, rc);
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(5, r.get("runs").size());
        Tokenizer tok = Tokenizer.load(model);
        long routedTokens = 0; // every prompt token, and every generated token but the last, passes through each layer
        for (JsonNode run : r.get("runs")) {
            routedTokens += tok.encode(run.get("prompt").asText(), true).length + run.get("generated_tokens").asInt() - 1;
        }
        for (JsonNode layer : r.get("expert_counts")) {
            long sum = 0;
            for (JsonNode c : layer) sum += c.asLong();
            assertEquals(2 * routedTokens, sum, "top-2 choices per routed token");
        }
        assertTrue(r.get("decode_tokens_per_s").asDouble() > 0);
        assertTrue(Files.size(json) > 100);
    }
}
