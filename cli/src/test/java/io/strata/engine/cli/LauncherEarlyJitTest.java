// The launcher's early-compilation patterns name kernel methods that exist: a renamed pass would leave a pattern that
// matches nothing, and the cold start would lose its gain without a word.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LauncherEarlyJitTest {
    @Test
    void everyPatternNamesAKernelMethod() throws Exception {
        Path launcher = Path.of(System.getProperty("strata.root", ".."), "strata");
        String text = Files.readString(launcher);
        Matcher m = Pattern.compile("'(Vector\\w+Kernels)::(\\w+)\\*'").matcher(text);
        List<String> patterns = new ArrayList<>();
        while (m.find()) {
            String cls = m.group(1), prefix = m.group(2);
            patterns.add(cls + "::" + prefix + "*");
            Method[] methods = Class.forName("io.strata.compression.kernel." + cls).getDeclaredMethods();
            assertTrue(Arrays.stream(methods).anyMatch(x -> x.getName().startsWith(prefix)), launcher + ": no method of " + cls + " starts with " + prefix);
        }
        assertEquals(6, patterns.size(), launcher + ": the early-compilation patterns found: " + patterns);
        assertTrue(text.contains("CompileThresholdScaling,io.strata.compression.kernel.$m,0.05"), launcher + ": the scaling flag");
    }
}
