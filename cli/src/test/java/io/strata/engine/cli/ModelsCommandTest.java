// strata models lists what the readers accept, from the code that reads it.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.model.Architecture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsCommandTest {
    @TempDir
    Path tmp;

    @Test
    void listsEveryArchitectureFormatAndGgufType() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        Path json = tmp.resolve("models.json");
        try {
            assertEquals(0, StrataCli.commandLine().execute("models", "--json", json.toString()));
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        for (Architecture a : Architecture.values()) assertTrue(out.contains(a.modelType), out);
        assertTrue(out.contains("MixtralForCausalLM") && out.contains("qwen3moe") && out.contains("F8_E4M3") && out.contains("Q4_K"), out);
        assertTrue(out.contains("DeepseekV3ForCausalLM") && out.contains("deepseek2 (sigmoid gating)") && out.contains("Glm4MoeForCausalLM")
                && out.contains("glm4moe"), out);
        assertTrue(out.contains("GptOssForCausalLM") && out.contains("gpt-oss") && out.contains("mxfp4"), out);
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals(Architecture.values().length, j.get("architectures").size());
        assertEquals(9, j.get("gguf_types").size());
        assertEquals("[\"Q8_0\",\"Q4_K\",\"Q5_K\",\"Q6_K\",\"F8_E4M3\"]", j.get("kept_quantized").toString());
        assertTrue(out.contains("Kept quantized through the tiers (experts): GGUF [Q8_0, Q4_K, Q5_K, Q6_K]"), out);
        assertTrue(j.get("formats").has("safetensors") && j.get("formats").has("gguf"));
    }
}
