// strata bench decode --warmup-runs: the warm-up generations run one after another before the measured one, as its trace shows.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.hybrid.DecodeForecast;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import io.strata.tiering.trace.TraceStep;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchDecodeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void warmUpRunsAreGenerationsOfTheTraceBeforeTheMeasuredOne() throws Exception {
        Path model = DemoCommand.trainedModel();
        Assumptions.assumeTrue(model != null, "models/tiny-moe not found");
        Path trace = tmp.resolve("t.jsonl"), json = tmp.resolve("r.json");
        int rc = StrataCli.commandLine().execute("bench", "decode", "--model", model.toString(), "--backend", "cpu", "--prompt-tokens",
                "3", "--warmup", "3", "--warmup-runs", "3", "--tokens", "5", "--trace", trace.toString(), "--json", json.toString());
        assertEquals(0, rc);
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, r.get("warmup_runs").asInt());
        RoutingTrace t = TraceReader.readJsonLines(trace);
        // passes: per generation a 3-token prompt, then one pass per decoded token after the first
        TreeMap<Integer, Integer> tokensOfPass = new TreeMap<>();
        for (TraceStep st : t.steps()) if (st.layer() == 0) tokensOfPass.merge(st.pass(), 1, Integer::sum);
        int prompts = 0;
        for (int n : tokensOfPass.values()) if (n == 3) prompts++;
        assertEquals(4, prompts, "three warm-up generations and the measured one: " + tokensOfPass);
        assertEquals(4 * 3 + 3 * 2 + 4, tokensOfPass.values().stream().mapToInt(Integer::intValue).sum(), tokensOfPass.toString());
        // the forecast prices the last generation: its shape is the measured run's
        assertEquals(new DecodeForecast.Shape(3, 4), DecodeForecast.shape(t));
    }

    @Test
    void noWarmUpRunIsRefused() {
        Path model = DemoCommand.trainedModel();
        Assumptions.assumeTrue(model != null, "models/tiny-moe not found");
        CommandLine cl = StrataCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("bench", "decode", "--model", model.toString(), "--backend", "cpu", "--warmup-runs", "0"));
        assertTrue(err.toString().contains("--warmup-runs 0"), err.toString());
    }
}
