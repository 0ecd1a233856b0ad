// Every parser of outside input under the fuzz contract: checked-in corpora replayed, then coverage-guided fuzzing.
package io.strata.engine.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Budget per target: {@code -Dstrata.fuzz.seconds=N} (default 3, so the suite stays short; 0 replays the corpora
 * only). {@code -Dstrata.fuzz.only=NAME} fuzzes one target. Each run writes target/fuzz/NAME.json (executions,
 * CPU seconds, finding) and keeps crash inputs in target/fuzz/NAME/crashes; a crash, once fixed, is copied into
 * src/test/resources/fuzz/NAME/ as a regression input.
 */
class ParserFuzzTest {
    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of("safetensors", SafetensorsTarget.class),
                Arguments.of("config", ModelConfigTarget.class),
                Arguments.of("manifest", StoreManifestTarget.class),
                Arguments.of("codec", CodecFileTarget.class),
                Arguments.of("trace", TraceTarget.class),
                Arguments.of("tokenizer", TokenizerTarget.class),
                Arguments.of("chat-template", ChatTemplateTarget.class),
                Arguments.of("gguf", GgufTarget.class));
    }

    /** Regenerates the codec.json seeds from the real int4 layout ({@code -Dstrata.fuzz.writeSeeds=true}). */
    @org.junit.jupiter.api.Test
    void writeCodecSeeds() throws Exception {
        assumeTrue(Boolean.getBoolean("strata.fuzz.writeSeeds"), "seed generation off");
        var p = CodecFileTarget.params();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.nio.file.Path dir = FuzzHarness.CORPORA.resolve("codec");
        java.nio.file.Files.createDirectories(dir);
        json.writeValue(dir.resolve("seed-int4.json").toFile(),
                new io.strata.engine.store.CodecStoreFiles.CodecFile("int4", new io.strata.compression.codec.CodecParams[][] {{p, p}}));
        json.writeValue(dir.resolve("seed-wrong-length.json").toFile(), new io.strata.engine.store.CodecStoreFiles.CodecFile("int4",
                new io.strata.compression.codec.CodecParams[][] {{p, io.strata.compression.codec.ExpertCodecs.byName("int4").layout(64, 128)}}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void corpusInputsKeepTheContract(String name, Class<?> target) throws Exception {
        assertTrue(FuzzHarness.replay(name, target) > 0, "no checked-in inputs for " + name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void fuzzingFindsNothing(String name, Class<?> target) throws Exception {
        int seconds = Integer.getInteger("strata.fuzz.seconds", 3);
        String only = System.getProperty("strata.fuzz.only");
        assumeTrue(seconds > 0, "fuzzing off (strata.fuzz.seconds=0)");
        assumeTrue(only == null || only.isBlank() || java.util.Arrays.asList(only.split(",")).contains(name), "not selected");
        FuzzHarness.Result r = FuzzHarness.fuzz(name, target, seconds);
        System.out.printf("fuzz %s: %d executions in %.1f s (%.1f CPU s)%n", name, r.executions(), r.wallSeconds(), r.cpuSeconds());
        assertTrue(r.clean(), name + ": finding (exit " + r.exitCode() + ", input " + r.crashFile() + ")\n" + r.outputTail());
        assertTrue(r.executions() > 0, name + ": the fuzzer ran no input\n" + r.outputTail());
    }
}
