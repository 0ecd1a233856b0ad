// The command tree strata's main builds: only the named subcommand for a run, every subcommand for help.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StrataCliTest {
    /** Each key of the table is the name its command declares: "strata NAME" reaches that command and no other. */
    @Test
    void eachNameBuildsItsOwnCommandAlone() {
        for (String name : StrataCli.SUBCOMMANDS.keySet()) {
            CommandLine cl = StrataCli.commandLine(name);
            assertEquals(Set.of(name), cl.getSubcommands().keySet(), name);
            assertEquals(name, cl.getSubcommands().get(name).getCommandSpec().name(), name);
        }
    }

    @Test
    void helpAndBareStrataListEverySubcommand() {
        List<String> names = List.of("demo", "run", "chat", "serve", "tokenize", "trace", "bench", "pack", "compress",
                "predict", "models", "calibrate", "plan");
        assertEquals(names, List.copyOf(StrataCli.commandLine().getSubcommands().keySet()));
        for (String[] args : new String[][] {{}, {"--help"}}) {
            StringWriter out = new StringWriter();
            CommandLine cl = StrataCli.commandLine(args.length > 0 ? args[0] : null);
            cl.setOut(new PrintWriter(out, true));
            assertEquals(0, cl.execute(args));
            for (String n : names) assertTrue(out.toString().lines().anyMatch(l -> l.startsWith("  " + n + " ")), "'" + String.join(" ", args) + "': " + n + " missing:\n" + out);
        }
        // A mistyped name gets the full tree, so picocli can suggest the command meant.
        StringWriter err = new StringWriter();
        CommandLine cl = StrataCli.commandLine("runn");
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("runn", "--model", "x"));
        assertTrue(err.toString().contains("Did you mean: strata run?"), err.toString());
    }
}
