// The contract every parser of outside input keeps under fuzzing, and the scratch files the targets parse.
package io.strata.engine.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Any input either parses or fails with the project's own exception type and a message naming the file; anything
 * else (another exception, an error, an OutOfMemoryError from an allocation sized by an unchecked length field) is a
 * finding. Hangs are caught by the fuzzer's per-input timeout.
 */
final class FuzzContract {
    private FuzzContract() {}

    /** Something a target parses; may throw anything. */
    interface Parse {
        void run() throws Exception;
    }

    /** One scratch folder per JVM (a fuzzing run executes one target in one JVM, serially). */
    private static final Path SCRATCH;

    static {
        try {
            SCRATCH = Files.createTempDirectory("strata-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Feeds the checked-in inputs of {@code name} to {@code target} once, before fuzzing starts (Jazzer calls a
     * target's fuzzerInitialize first): class loading and instrumentation then do not count against the first input's
     * time limit. Contract breaks are left to the fuzzer and the replay test.
     */
    static void warmUp(String name, java.util.function.Consumer<byte[]> target) {
        try (var files = Files.walk(FuzzHarness.CORPORA.resolve(name))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                try {
                    target.accept(Files.readAllBytes(p));
                } catch (AssertionError ignored) {
                    // reported when the fuzzer runs the same input
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh, empty folder under the scratch folder named {@code name} (the previous input's files removed). */
    static Path folder(String name) {
        Path d = SCRATCH.resolve(name);
        try {
            if (Files.isDirectory(d)) {
                try (var files = Files.list(d)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
            }
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code data} to {@code dir/name} and returns the path. */
    static Path write(Path dir, String name, byte[] data) {
        try {
            return Files.write(dir.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code parse}; a throwable other than one of {@code allowed} whose message names {@code file} breaks the
     * contract and is rethrown as an AssertionError (the fuzzer's finding).
     */
    @SafeVarargs
    static void expect(Path file, Parse parse, Class<? extends Exception>... allowed) {
        expect(file.getFileName().toString(), parse, allowed);
    }

    /** As {@link #expect(Path, Parse, Class[])}, the message having to contain {@code mustName}. */
    @SafeVarargs
    static void expect(String mustName, Parse parse, Class<? extends Exception>... allowed) {
        try {
            parse.run();
        } catch (Throwable t) {
            for (Class<? extends Exception> a : allowed) {
                if (a.isInstance(t)) {
                    String m = t.getMessage();
                    if (m == null || !m.contains(mustName)) {
                        throw new AssertionError("contract: " + t.getClass().getSimpleName() + " without " + mustName
                                + " in its message: " + m, t);
                    }
                    return;
                }
            }
            throw new AssertionError("contract: expected one of " + java.util.Arrays.toString(allowed) + " naming "
                    + mustName + ", found " + t, t);
        }
    }
}
