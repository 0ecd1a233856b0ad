// Runs one fuzz target under Jazzer (libFuzzer for the JVM) in its own JVM for a fixed time, and replays corpora.
package io.strata.engine.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a child JVM per target: libFuzzer runs once per process, and a finding (or a hang, or an OutOfMemoryError
 * under the child's small heap) must fail one target, not the test JVM. The child runs Jazzer's standalone driver
 * with coverage instrumentation of io.strata classes, the checked-in seeds of the target as a read-only corpus, and
 * a scratch corpus and crash directory under target/fuzz/NAME.
 */
final class FuzzHarness {
    private FuzzHarness() {}

    /** Seeds and regression inputs of each target, checked in. */
    static final Path CORPORA = Path.of("src/test/resources/fuzz");
    /** Scratch corpora, crash files and result JSON. */
    static final Path OUT = Path.of("target/fuzz");
    /** Child heap: an allocation sized by an unchecked length field fails here as an OutOfMemoryError. */
    static final String HEAP = "-Xmx384m";
    /** Per-input limit: an input that runs longer is a hang (a finding). */
    static final int INPUT_TIMEOUT_S = 10;

    /** One fuzzing run. {@code cpuSeconds}: the child JVM's CPU time (fuzz loop, JIT and GC together). */
    record Result(String target, int budgetSeconds, double wallSeconds, double cpuSeconds, long executions, int exitCode,
                  String crashFile, String outputTail) {
        boolean clean() {
            return exitCode == 0;
        }
    }

    /** Feeds every checked-in input of {@code name} (seeds and regressions) to {@code target} in this JVM. */
    static int replay(String name, Class<?> target) throws Exception {
        Path dir = CORPORA.resolve(name);
        List<Path> inputs;
        try (var files = Files.walk(dir)) {
            inputs = files.filter(Files::isRegularFile).sorted().toList();
        }
        var m = target.getMethod("fuzzerTestOneInput", byte[].class);
        for (Path p : inputs) {
            try {
                m.invoke(null, (Object) Files.readAllBytes(p));
            } catch (InvocationTargetException e) {
                throw new AssertionError(p + ": " + e.getCause(), e.getCause());
            }
        }
        return inputs.size();
    }

    /** Fuzzes {@code target} for {@code seconds} in a child JVM and writes target/fuzz/NAME.json. */
    static Result fuzz(String name, Class<?> target, int seconds) throws IOException, InterruptedException {
        Path work = OUT.resolve(name).toAbsolutePath();
        Path corpus = Files.createDirectories(work.resolve("corpus"));
        Path crashes = Files.createDirectories(work.resolve("crashes"));
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+EnableDynamicAgentLoading", "-cp", cp,
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.getName(), "--reproducer_path=" + crashes,
                "--instrumentation_includes=io.strata.**", "--custom_hook_includes=io.strata.**",
                // tokenizer.json ships its pre-tokenizer regexes: compiling them is the format, not an injection.
                // A pattern that backtracks without end is still caught, as a hang, by the per-input timeout.
                "--disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection",
                "-max_total_time=" + seconds, "-timeout=" + INPUT_TIMEOUT_S, "-rss_limit_mb=0",
                "-print_final_stats=1", "-artifact_prefix=" + crashes + "/",
                corpus.toString(), CORPORA.resolve(name).toAbsolutePath().toString()));
        Path log = work.resolve("fuzz.log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Duration cpu = Duration.ZERO;
        // CPU time is readable only while the child lives: sample it until it exits.
        while (!p.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            cpu = p.info().totalCpuDuration().orElse(cpu);
            if (System.nanoTime() - t0 > Duration.ofSeconds(seconds + 120).toNanos()) {
                p.destroyForcibly();
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        String out = Files.readString(log, StandardCharsets.UTF_8);
        long execs = -1;
        Matcher m = Pattern.compile("stat::number_of_executed_units: (\\d+)").matcher(out);
        if (m.find()) {
            execs = Long.parseLong(m.group(1));
        } else {
            Matcher done = Pattern.compile("Done (\\d+) runs").matcher(out);
            if (done.find()) {
                execs = Long.parseLong(done.group(1));
            }
        }
        Matcher crash = Pattern.compile("Test unit written to (\\S+)").matcher(out);
        String crashFile = crash.find() ? crash.group(1) : null;
        Result r = new Result(name, seconds, wall, cpu.toMillis() / 1000.0, execs, p.exitValue(), crashFile,
                out.length() > 6000 ? out.substring(out.length() - 6000) : out);
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("target", name).put("target_class", target.getName()).put("budget_s", seconds).put("wall_s", wall)
                .put("cpu_s", r.cpuSeconds()).put("executions", execs).put("exit_code", r.exitCode())
                .put("finding", !r.clean()).put("crash_file", crashFile)
                .put("seed_inputs", countFiles(CORPORA.resolve(name))).put("corpus_after", countFiles(corpus))
                .put("jvm", System.getProperty("java.version")).put("cores", Runtime.getRuntime().availableProcessors());
        Files.writeString(OUT.resolve(name + ".json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(j));
        return r;
    }

    private static long countFiles(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
