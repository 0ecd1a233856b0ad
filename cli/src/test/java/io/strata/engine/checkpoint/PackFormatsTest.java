// strata pack on the formats the checkpoint readers add (GGUF, FP8): it says what it converted, and the packed store
// gives the logits of its twin packed from plain weights (fixtures from the engine's test resources).
package io.strata.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.cli.StrataCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackFormatsTest {
    @TempDir
    Path tmp;

    static Path resource(String path) throws Exception {
        return Path.of(PackFormatsTest.class.getResource(path).toURI());
    }

    static Path gguf(String name) throws Exception {
        try (var s = Files.list(resource("/gguf/" + name))) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElseThrow();
        }
    }

    static Path twin(String name, String goldenArch) throws Exception {
        Path t = resource("/gguf/" + name).resolve("twin");
        return Files.isDirectory(t) ? t : resource("/golden/" + goldenArch + "/config.json").getParent();
    }

    static int[] inputIds(String goldenArch) throws Exception {
        JsonNode g = new ObjectMapper().readTree(resource("/golden/" + goldenArch + "/golden.json").toFile());
        int[] ids = new int[g.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = g.get("input_ids").get(i).asInt();
        return ids;
    }

    static Path fixture() throws Exception {
        return resource("/fp8/qwen3_moe-fp8/config.json").getParent();
    }

    @Test
    void packOfAGgufFileServesItsLogitsAndSaysWhatWasConverted() throws Exception {
        Path store = tmp.resolve("store");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute("pack", "--model", gguf("qwen3_moe-q8_0").toString(), "--out", store.toString(),
                    "--codec", "int8-g32", "--no-progress");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, rc, out);
        assertTrue(out.contains("[Q8_0]") && out.contains("codec int8-g32"), out);
        assertTrue(out.contains("no tokenizer"), out);
        Path twinStore = tmp.resolve("twin-store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", twin("qwen3_moe-q8_0", "qwen3_moe").toString(),
                "--out", twinStore.toString(), "--codec", "int8-g32", "--no-progress"));
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        int[] ids = inputIds("qwen3_moe");
        float[] want;
        try (StrataModel m = ModelLoader.load(twinStore, o)) {
            want = m.model().forward(ids, 0, m.model().newCache(64), true);
        }
        try (StrataModel m = ModelLoader.load(store, o)) {
            assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(64), true), 1e-5f);
        }
    }

    @Test
    void packConvertsFp8ExpertsByTheCodecAndSaysSo() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute("pack", "--model", fixture().toString(), "--out", tmp.resolve("s").toString(),
                    "--codec", "int8-g32", "--no-progress");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        assertTrue(buf.toString().contains("F8_E4M3") && buf.toString().contains("codec int8-g32"), buf.toString());
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", fixture().resolve("twin").toString(), "--out",
                tmp.resolve("t").toString(), "--codec", "int8-g32", "--no-progress"));
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        int[] ids = inputIds("qwen3_moe");
        float[] want;
        try (StrataModel m = ModelLoader.load(tmp.resolve("t"), o)) {
            want = m.model().forward(ids, 0, m.model().newCache(64), true);
        }
        try (StrataModel m = ModelLoader.load(tmp.resolve("s"), o)) {
            assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(64), true), 1e-5f);
        }
    }
}
